"""The photo job's use case: download one worksheet photo from Twilio, keep it, record it.

Refusals (not a picture, too large, not Twilio's host) are final: the row says so, the log too,
and the chair is asked for another photo. A failed download raises, so RQ tries again later; after
the last try the failure callback marks the row failed and opens a backlog item
(`records.photos.give_up`).
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from hotline.adapters import twilio_media
from hotline.adapters.media_store import MediaStore
from hotline.adapters.models import InboundMessage, OutboundMessage, WorksheetPhoto, utcnow
from hotline.domain.media import megabytes
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import outbox
from hotline.services.records.photos import PENDING, REFUSED, STORED
from hotline.services.units import Units

logger = logging.getLogger(__name__)


def fetch(units: Units, store: MediaStore, photo_id: int) -> str:
    """Download, keep and record one photo; its status afterwards ("stored", "refused", ...)."""
    with units.reading() as s:
        row = s.get(WorksheetPhoto, photo_id)
        if row is None:
            return "missing"
        if row.status != PENDING:
            return row.status  # already done (a job run twice)
        url = row.source_url
    cfg = units.config
    try:
        got = twilio_media.download(url, account_sid=cfg.twilio_account_sid, auth_token=cfg.twilio_auth_token,
                                    max_bytes=cfg.media_max_bytes, extra_base=cfg.twilio_api_base_url)
    except twilio_media.MediaRefused as refused:
        _refuse(units, photo_id, refused)
        return REFUSED
    except twilio_media.MediaUnavailable as exc:
        logger.warning("photo %s: %s; tried again later", photo_id, exc)
        raise
    sha = store.put(got.data, got.content_type)  # a store that is down raises: tried again later
    with units.begin() as uow:
        row = uow.session.get(WorksheetPhoto, photo_id)
        if row is None or row.status != PENDING:
            return row.status if row else "missing"
        row.status, row.sha256, row.content_type, row.bytes = STORED, sha, got.content_type, len(got.data)
        row.stored_at, row.error = utcnow(), None
        msg = uow.session.get(InboundMessage, row.inbound_id)
        chain.record(uow.session, "photo_stored", precinct=row.precinct.code,
                     phone=msg.from_number if msg else None, photo_id=row.id, inbound_id=row.inbound_id,
                     submission_id=row.submission_id, sha256=sha, bytes=len(got.data), type=got.content_type)
        if uow.config.publish_photos_at_once:  # published as soon as stored: the public page changes
            uow.after_commit(uow.jobs.results_changed)
    logger.info("photo %s stored: %s (%d bytes)", photo_id, sha[:12], len(got.data))
    return STORED


def _refuse(units: Units, photo_id: int, refused: twilio_media.MediaRefused) -> None:
    with units.begin() as uow:
        s = uow.session
        row = s.get(WorksheetPhoto, photo_id)
        if row is None or row.status != PENDING:
            return
        row.status, row.error = REFUSED, str(refused)[:500]
        msg = s.get(InboundMessage, row.inbound_id)
        phone = msg.from_number if msg else None
        code = row.precinct.code
        chain.record(s, "photo_refused", precinct=code, phone=phone, photo_id=row.id,
                     inbound_id=row.inbound_id, reason=refused.reason, detail=str(refused)[:200])
        logger.warning("photo %s from %s refused: %s", photo_id, code, refused)
        if phone is None or refused.reason == "host":
            return  # nothing the chair did: the URL was not one Twilio gives
        told = s.scalar(select(OutboundMessage.id).where(OutboundMessage.inbound_id == row.inbound_id,
                                                         OutboundMessage.kind == "photo_refused").limit(1))
        if told is None:  # one text per text, however many of its photos were refused
            outbox.queue_sms(uow, phone, replies.PHOTO_REFUSED.format(
                code=code, limit=megabytes(uow.config.media_max_bytes)), "photo_refused",
                priority=1, precinct_id=row.precinct_id, inbound_id=row.inbound_id)
