"""The photo job: download one worksheet photo from Twilio and keep it in the media store."""
from __future__ import annotations

from hotline.services.ops import photos
from workers.context import current


def fetch_photo(photo_id: int) -> str:
    """Download, check, keep and record one photo (a no-op once it is stored, refused or failed)."""
    rt = current()
    return photos.fetch(rt.units, rt.media, photo_id)
