"""Staff mark each stored worksheet photo against the recorded report: matches, differs, unreadable."""
from __future__ import annotations

import dataclasses
import hashlib
import html

from sqlalchemy import select

from hotline.adapters.models import LogEntry, OutboundMessage, Worksheet, WorksheetPhoto
from hotline.adapters.queues import ALL_QUEUES
from hotline.config import Config
from hotline.domain.wording import sms as replies
from hotline.services.console import photos
from tests.support.chairs import Phone
from tests.support.media import JPEG, Answer, twilio_media, with_media  # noqa: F401
from tests.support.stack import work
from tests.web.console.staff import Staff, flashes, open_item

FIRST = "first: Biden 12, Pete 45, Warren 30"
PATH = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM9/Media/ME9"
CHAIR = "+15155550142"
SHA = hashlib.sha256(JPEG).hexdigest()


def stored_photo(rt, client, media) -> int:
    """A chair texts a report with a photo; the photo job keeps it. The photo's row id."""
    rt.config = with_media(rt.config, media)
    Phone(client, rt, CHAIR).send(FIRST, media=[media.serve(PATH, Answer(200, "image/jpeg", JPEG))])
    work(rt, ALL_QUEUES)
    with rt.db.transaction() as uow:
        return uow.session.scalars(select(WorksheetPhoto.id).where(WorksheetPhoto.sha256 == SHA)).one()


def photo_row(rt, photo_id: int) -> WorksheetPhoto:
    with rt.db.transaction() as uow:
        return uow.session.get(WorksheetPhoto, photo_id)


def marks_logged(rt) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.scalars(select(LogEntry).where(LogEntry.kind == "photo_marked")
                                        .order_by(LogEntry.seq)))


def mark(member, photo_id: int, outcome: str, back: str = "/console/precincts/DSM-42"):
    return member.post(f"/console/photos/{photo_id}/mark", {"outcome": outcome, "next": back})


def test_the_precinct_and_item_pages_offer_the_marks(rt, client, alice, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    item_id = open_item(rt)
    for path in ("/console/precincts/DSM-42", f"/console/items/{item_id}"):
        page = html.unescape(alice.text(path))
        assert f'action="/console/photos/{photo_id}/mark"' in page and 'name="csrf_token"' in page
        for outcome in ("matches", "differs", "unreadable"):
            assert f'name="outcome" value="{outcome}"' in page
        assert "Against the recorded report: <strong>not checked</strong>" in page
        assert " style=" not in page and "onclick" not in page  # the CSP allows neither


def test_matches_is_recorded_logged_and_shown(rt, client, alice, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    resp = mark(alice, photo_id, "matches")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/console/precincts/DSM-42")
    row = photo_row(rt, photo_id)
    assert (row.mark, row.marked_by) == ("matches", "alice") and row.marked_at is not None
    [entry] = marks_logged(rt)
    assert entry.actor == "alice" and entry.precinct_code == "DSM-42"
    assert entry.detail["sha256"] == SHA and entry.detail["outcome"] == "matches"
    assert entry.detail["previous"] is None
    page = html.unescape(alice.text("/console/precincts/DSM-42"))
    assert "Photo marked as matching the recorded report." in flashes(page)
    assert "Against the recorded report: <strong>matches</strong> (marked by alice" in page


def test_unreadable_asks_the_chair_for_a_new_photo(rt, client, alice, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    mark(alice, photo_id, "unreadable")
    assert photo_row(rt, photo_id).mark == "unreadable"
    with rt.db.transaction() as uow:
        [text] = uow.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "photo_unreadable")).all()
        assert text.to_number == CHAIR
        assert text.body == replies.PHOTO_UNREADABLE.format(code="DSM-42")
        assert "could not read the worksheet photo for DSM-42" in text.body
    [entry] = marks_logged(rt)
    assert entry.detail["outcome"] == "unreadable" and entry.phone == CHAIR and entry.actor == "alice"
    page = html.unescape(alice.text("/console/precincts/DSM-42"))
    assert any("asks the chair for a new, clear photo" in f for f in flashes(page))


def test_differs_leads_to_the_correction_form(rt, client, alice, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    resp = mark(alice, photo_id, "differs")
    assert resp.status_code == 302 and "/console/precincts/DSM-42/enter" in resp.headers["Location"]
    assert photo_row(rt, photo_id).mark == "differs"
    [entry] = marks_logged(rt)
    assert entry.detail["outcome"] == "differs" and entry.detail["sha256"] == SHA
    form = html.unescape(alice.text(resp.headers["Location"]))
    assert any("Enter the numbers from the paper worksheet" in f for f in flashes(form))
    with rt.db.transaction() as uow:  # nothing is texted for a differing photo
        assert not uow.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "photo_unreadable")).all()


def test_differs_prefills_from_a_typed_in_worksheet(rt, client, alice, carol, twilio_media):  # noqa: F811
    from hotline.services.records import roster
    photo_id = stored_photo(rt, client, twilio_media)
    index = {c.name: i for i, c in enumerate(roster.candidates(rt.units))}
    form = {f"first-{index[n]}": str(v) for n, v in
            {"Biden": 12, "Buttigieg": 46, "Klobuchar": 8, "Sanders": 40, "Warren": 30}.items()}
    carol.post("/admin/reconcile/DSM-42", {**form, "note": "signed sheet"})
    resp = mark(alice, photo_id, "differs")
    with rt.db.transaction() as uow:
        ws_id = uow.session.execute(select(Worksheet.id)).scalar_one()
    assert resp.headers["Location"].endswith(f"/console/precincts/DSM-42/enter?worksheet={ws_id}")
    prefilled = alice.text(resp.headers["Location"])
    assert f'name="first-{index["Buttigieg"]}" inputmode="numeric" pattern="[0-9]*" size="4" value="46"' in prefilled


def test_a_mark_can_be_changed_and_the_history_stays_in_the_log(rt, client, alice, carol, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    mark(alice, photo_id, "unreadable")
    mark(carol, photo_id, "matches")  # an administrator may mark too
    row = photo_row(rt, photo_id)
    assert (row.mark, row.marked_by) == ("matches", "carol")
    logged = marks_logged(rt)
    assert [(e.actor, e.detail["outcome"], e.detail["previous"]) for e in logged] == [
        ("alice", "unreadable", None), ("carol", "matches", "unreadable")]


def test_refused_marks(rt, client, app, alice, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    anonymous = Staff(app.test_client()).post(f"/console/photos/{photo_id}/mark", {"outcome": "matches"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    forged = alice.client.post(f"/console/photos/{photo_id}/mark", data={"outcome": "matches"})  # no CSRF token
    assert forged.status_code in (400, 403)
    assert photo_row(rt, photo_id).mark is None and not marks_logged(rt)
    mark(alice, photo_id, "looks fine")
    mark(alice, photo_id + 999, "matches")
    assert photo_row(rt, photo_id).mark is None and not marks_logged(rt)
    page = html.unescape(alice.text("/console/precincts/DSM-42"))
    assert "Mark the photo as matches, differs or unreadable." in flashes(page)
    assert "Only a stored worksheet photo can be marked; that one is not stored." in flashes(page)


def test_the_board_shows_each_precincts_photo(rt, client, alice, carol, twilio_media):  # noqa: F811
    def cell(code: str) -> str:
        page = carol.text("/admin/")
        row = page.split(f'id="precinct-{code}"', 1)[1].split("</tr>", 1)[0]
        return row.split("data-photo=\"", 1)[1].split('"', 1)[0]

    photo_id = stored_photo(rt, client, twilio_media)
    others = [line for line in carol.text("/admin/").split("\n") if 'data-photo="' in line]
    assert others and all("photo: " in line for line in others)
    assert cell("DSM-42") == "not_checked"
    for outcome in ("matches", "differs", "unreadable"):
        mark(alice, photo_id, outcome)
        assert cell("DSM-42") == outcome
    assert "photo: unreadable" in carol.text("/admin/")
    missing = [c for c in carol.text("/admin/").split('data-photo="')[1:] if c.startswith("missing")]
    assert missing  # precincts with no stored photo


def test_a_photo_is_published_once_it_matches(rt, client, alice, twilio_media):  # noqa: F811
    photo_id = stored_photo(rt, client, twilio_media)
    assert photos.publishable_photos(rt.units, "DSM-42") == []
    mark(alice, photo_id, "differs")
    assert photos.publishable_photos(rt.units, "DSM-42") == []
    mark(alice, photo_id, "matches")
    assert [p.sha256 for p in photos.publishable_photos(rt.units, "DSM-42")] == [SHA]
    mark(alice, photo_id, "unreadable")  # the latest mark counts
    assert photos.publishable_photos(rt.units, "DSM-42") == []


def test_the_setting_publishes_stored_photos_at_once(rt, client, alice, twilio_media):  # noqa: F811
    stored_photo(rt, client, twilio_media)
    rt.config = dataclasses.replace(rt.config, publish_photos_at_once=True)
    assert [p.sha256 for p in photos.publishable_photos(rt.units, "DSM-42")] == [SHA]


def test_the_setting_is_read_from_the_environment():
    assert Config.from_env({}).publish_photos_at_once is False
    assert Config.from_env({"HOTLINE_PUBLISH_PHOTOS_AT_ONCE": "1"}).publish_photos_at_once is True
