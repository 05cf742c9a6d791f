"""Staff see our stored copy of a worksheet photo, served by its SHA-256, never Twilio's URL."""
from __future__ import annotations

import hashlib
import html

from hotline.adapters.queues import ALL_QUEUES
from tests.support.chairs import Phone
from tests.support.media import JPEG, Answer, twilio_media, with_media  # noqa: F401
from tests.support.stack import work
from tests.web.console.staff import open_item

FIRST = "first: Biden 12, Pete 45, Warren 30"
PATH = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM9/Media/ME9"


def test_staff_see_our_copy_and_never_twilios_url(rt, client, app, alice, twilio_media):  # noqa: F811
    rt.config = with_media(rt.config, twilio_media)
    url = twilio_media.serve(PATH, Answer(200, "image/jpeg", JPEG))
    chair = Phone(client, rt, "+15155550142")
    chair.send(FIRST, media=[url])
    item_id = open_item(rt)
    page = html.unescape(alice.text(f"/console/items/{item_id}"))
    assert "photo arriving" in page and twilio_media.base not in page  # queued, not yet downloaded

    work(rt, ALL_QUEUES)
    sha = hashlib.sha256(JPEG).hexdigest()
    for path in (f"/console/items/{item_id}", "/console/precincts/DSM-42"):
        page = html.unescape(alice.text(path))
        assert f'src="/console/photos/{sha}"' in page and f'href="/console/photos/{sha}"' in page
        assert twilio_media.base not in page and "Media/ME9" not in page and "photo arriving" not in page
        assert sha[:16] in page and "image/jpeg" in page

    resp = alice.get(f"/console/photos/{sha}")
    assert resp.status_code == 200 and resp.data == JPEG
    assert resp.mimetype == "image/jpeg"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert "private" in resp.headers["Cache-Control"]
    assert alice.get(f"/console/photos/{sha.upper()}").status_code == 200


def test_photos_are_for_signed_in_staff_and_only_stored_ones(rt, client, app, accounts, alice, twilio_media):  # noqa: F811
    rt.config = with_media(rt.config, twilio_media)
    chair = Phone(client, rt, "+15155550142")
    chair.send(FIRST, media=[twilio_media.serve(PATH, Answer(200, "image/jpeg", JPEG))])
    work(rt, ALL_QUEUES)
    sha = hashlib.sha256(JPEG).hexdigest()
    anonymous = app.test_client().get(f"/console/photos/{sha}")
    assert anonymous.status_code in (302, 401) and anonymous.data != JPEG
    assert alice.get(f"/console/photos/{'0' * 64}").status_code == 404       # no such photo
    assert alice.get("/console/photos/..%2f..%2fetc%2fpasswd").status_code == 404
    rt.media.put(b"\x89PNG\r\n\x1a\nnot a photo anyone sent", "image/png")  # in the store, not on record
    other = hashlib.sha256(b"\x89PNG\r\n\x1a\nnot a photo anyone sent").hexdigest()
    assert alice.get(f"/console/photos/{other}").status_code == 404
