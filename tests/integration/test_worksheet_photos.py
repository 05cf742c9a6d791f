"""Worksheet photos become evidence we hold: a chair's MMS downloaded from (a stand-in for) Twilio
by the photo job, checked, kept by SHA-256, recorded, and refused or handed to staff when it must."""
from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from rq import Retry
from sqlalchemy import select

from hotline.adapters import queues
from hotline.adapters.media_store import S3MediaStore
from hotline.adapters.models import BacklogItem, InboundMessage, LogEntry, Precinct, WorksheetPhoto
from hotline.adapters.queues import ALL_QUEUES
from hotline.cli import cli
from hotline.services.log import chain
from tests.support.chairs import Phone, load_roster
from tests.support.media import JPEG, PNG, Answer, make_bucket, s3_endpoint, twilio_media, with_media  # noqa: F401
from tests.support.stack import work

FIRST = "Precinct DSM-42 first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
MEDIA_PATH = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM1/Media/ME{n}"


@pytest.fixture
def chair(client, rt, twilio_media):  # noqa: F811
    load_roster(rt)
    rt.config = with_media(rt.config, twilio_media)
    return Phone(client, rt, "+15155550142")


def photos(rt) -> list[WorksheetPhoto]:
    with rt.db.transaction() as uow:
        rows = list(uow.session.execute(select(WorksheetPhoto).order_by(WorksheetPhoto.id)).scalars())
        uow.session.expunge_all()
        return rows


def log_kinds(rt, kind: str) -> list[dict]:
    with rt.db.transaction() as uow:
        return [e.detail for e in uow.session.execute(select(LogEntry).where(LogEntry.kind == kind)).scalars()]


def test_a_text_with_a_photo_ends_with_our_copy_a_row_and_a_log_entry(chair, rt, twilio_media):  # noqa: F811
    url = twilio_media.serve(MEDIA_PATH.format(n=1), Answer(body=PNG))
    chair.send(FIRST, media=[url])
    [row] = photos(rt)
    assert row.status == "pending"  # the chair's text went first; the download waits its turn
    assert twilio_media.hits == []
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    sha = hashlib.sha256(PNG).hexdigest()
    assert (row.status, row.sha256, row.content_type, row.bytes) == ("stored", sha, "image/png", len(PNG))
    assert row.submission_id is not None and row.received_at is not None
    assert rt.media.get(sha) == PNG
    assert (rt.config.instance_path / "media" / sha[:2] / sha[2:4] / sha).is_file()
    [(path, auth)] = twilio_media.hits
    assert path == MEDIA_PATH.format(n=1) and auth and auth.startswith("Basic ")  # the account's credentials
    [entry] = log_kinds(rt, "photo_stored")
    assert entry["sha256"] == sha and entry["bytes"] == len(PNG) and entry["type"] == "image/png"
    assert "http" not in json.dumps(entry)  # no URL in the log
    with rt.db.transaction() as uow:
        assert chain.verify(uow.session) is None  # the chain is intact with the new entries
    work(rt, ALL_QUEUES)
    assert len(twilio_media.hits) == 1  # nothing fetched twice


def test_a_photo_alone_after_the_report_is_kept_with_it(chair, rt, twilio_media):  # noqa: F811
    chair.send(FIRST)
    chair.send("", media=[twilio_media.serve(MEDIA_PATH.format(n=2), Answer(200, "image/jpeg", JPEG))])
    assert chair.last().kind == "photo_saved"
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    assert row.status == "stored" and row.content_type == "image/jpeg" and row.submission_id is not None


def test_a_photo_with_a_caption_but_no_figures_is_kept_and_thanked_not_refused(chair, rt, twilio_media):  # noqa: F811
    chair.send(FIRST)
    chair.send(f"YES {chair.code()}")
    chair.send("DSM-42 worksheet photo", media=[twilio_media.serve(MEDIA_PATH.format(n=3), Answer(200, "image/jpeg", JPEG))])
    assert chair.last().kind == "photo_saved" and "could not read" not in chair.last().body
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    assert row.status == "stored" and row.submission_id is not None


@pytest.mark.parametrize("answer, why", [
    (Answer(200, "text/html", b"<html><script>alert(1)</script></html>"), "not a picture"),
    (Answer(200, "image/png", b"<html>not really a png</html>"), "not a picture"),
    (Answer(200, "video/mp4", b"\x00\x00\x00\x18ftypmp42"), "not a picture"),
    (Answer(200, "image/png", PNG + b"\x00" * 5000), "over the limit"),
])
def test_non_images_and_oversized_images_are_refused_with_a_text_to_the_chair(chair, rt, twilio_media, answer, why):  # noqa: F811
    from dataclasses import replace
    rt.config = replace(rt.config, media_max_bytes=len(PNG) + 100)
    chair.send(FIRST, media=[twilio_media.serve(MEDIA_PATH.format(n=3), answer)])
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    assert row.status == "refused" and why in row.error and row.sha256 is None
    told = chair.last()
    assert told.kind == "photo_refused"
    assert told.body.startswith("Your photo for DSM-42 could not be used: it is not a picture or is over")
    assert "Text a photo of the signed worksheet." in told.body
    [entry] = log_kinds(rt, "photo_refused")
    assert entry["reason"] in ("not_picture", "too_large") and "http" not in json.dumps(entry)
    assert not (rt.config.instance_path / "media").exists()  # nothing of it was kept


def test_the_size_limit_is_told_in_megabytes(chair, rt, twilio_media):  # noqa: F811
    chair.send(FIRST, media=[twilio_media.serve(MEDIA_PATH.format(n=4), Answer(200, "application/pdf", b"%PDF-1.4"))])
    work(rt, ALL_QUEUES)
    assert "over 5 MB" in chair.last().body


def test_a_failing_download_is_retried_then_handed_to_staff(chair, rt, twilio_media, monkeypatch):  # noqa: F811
    monkeypatch.setattr(queues, "MEDIA_RETRY", Retry(max=3, interval=0))  # the tries, without the waits
    url = twilio_media.serve(MEDIA_PATH.format(n=5), Answer(500, "application/json", b"{}"))
    chair.send(FIRST, media=[url])
    work(rt, ALL_QUEUES)
    assert len(twilio_media.hits) == 4  # the first try and three more
    [row] = photos(rt)
    assert row.status == "failed" and "500" in row.error
    with rt.db.transaction() as uow:
        [item] = uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "photo_failed")).scalars()
        assert item.precinct.code == "DSM-42" and item.phone == "+15155550142"
        assert item.detail["photo_id"] == row.id and "http" not in item.summary
    assert log_kinds(rt, "photo_failed")
    assert chair.last().kind == "readback"  # the chair's report went on regardless


def test_the_production_retry_backs_off():
    assert queues.MEDIA_RETRY.max == 3 and queues.MEDIA_RETRY.intervals == [10, 60, 300]


def test_a_media_url_on_another_host_is_never_fetched(chair, rt, twilio_media):  # noqa: F811
    from dataclasses import replace
    other = twilio_media.serve(MEDIA_PATH.format(n=6), Answer())
    # Configured for another stand-in: this one is now "another host".
    rt.config = replace(rt.config, twilio_api_base_url="http://127.0.0.1:9")
    chair.send(FIRST, media=[other, "https://evil.example/x.png", "http://api.twilio.com/x.png"])
    work(rt, ALL_QUEUES)
    assert photos(rt) == [] and twilio_media.hits == []
    # A row naming another host (written by older code, or by hand) is refused, never fetched.
    with rt.db.transaction() as uow:
        msg = uow.session.execute(select(InboundMessage)).scalars().first()
        precinct = uow.session.execute(select(Precinct).where(Precinct.code == "DSM-42")).scalar_one()
        row = WorksheetPhoto(precinct_id=precinct.id, inbound_id=msg.id, source_url=other, status="pending",
                             received_at=msg.received_at)
        uow.session.add(row)
        uow.session.flush()
        photo_id = row.id
    rt.queues.photo(photo_id)
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    assert row.status == "refused" and twilio_media.hits == []
    assert chair.last().kind != "photo_refused"  # nothing the chair did


def test_photos_from_a_number_not_on_the_roster_are_not_fetched(client, rt, twilio_media):  # noqa: F811
    load_roster(rt)
    rt.config = with_media(rt.config, twilio_media)
    stranger = Phone(client, rt, "+15155559999")
    stranger.send("", media=[twilio_media.serve(MEDIA_PATH.format(n=7), Answer())])
    work(rt, ALL_QUEUES)
    assert photos(rt) == [] and twilio_media.hits == []


def test_photos_are_kept_in_s3_when_configured(chair, rt, twilio_media, s3_endpoint):  # noqa: F811
    make_bucket(s3_endpoint, "caucus-photos")
    rt.media = S3MediaStore("caucus-photos", "night", s3_endpoint)
    chair.send(FIRST, media=[twilio_media.serve(MEDIA_PATH.format(n=8), Answer(200, "image/jpeg", JPEG))])
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    sha = hashlib.sha256(JPEG).hexdigest()
    assert row.status == "stored" and row.sha256 == sha
    assert rt.media.get(sha) == JPEG and not (rt.config.instance_path / "media").exists()


def test_the_cli_lists_a_precincts_photos_as_json(chair, rt, twilio_media, monkeypatch):  # noqa: F811
    chair.send(FIRST, media=[twilio_media.serve(MEDIA_PATH.format(n=9), Answer()),
                             twilio_media.serve(MEDIA_PATH.format(n=10), Answer(200, "text/plain", b"hi"))])
    work(rt, ALL_QUEUES)
    monkeypatch.delenv("REDIS_URL", raising=False)
    env = {"DATABASE_URL": rt.config.database_url, "HOTLINE_INSTANCE_PATH": str(rt.config.instance_path),
           "HOTLINE_ENV": "test"}
    result = CliRunner().invoke(cli, ["worksheets", "list", "dsm-42", "--json"], env=env)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [p["status"] for p in listed] == ["stored", "refused"]
    first = listed[0]
    assert set(first) == {"sha256", "content_type", "bytes", "received_at", "status"}
    assert (first["sha256"], first["content_type"], first["bytes"]) == (hashlib.sha256(PNG).hexdigest(),
                                                                        "image/png", len(PNG))
    assert listed[1]["sha256"] is None
    human = CliRunner().invoke(cli, ["worksheets", "list", "DSM-42"], env=env)
    assert human.exit_code == 0 and hashlib.sha256(PNG).hexdigest() in human.output and "refused" in human.output
    missing = CliRunner().invoke(cli, ["worksheets", "list", "NOPE-1", "--json"], env=env)
    assert missing.exit_code != 0 and "There is no precinct NOPE-1" in missing.output


def test_a_photo_whose_job_was_lost_is_queued_again_by_the_sweep(chair, rt, twilio_media):  # noqa: F811
    from hotline.services.ops import recovery
    chair.send(FIRST, media=[twilio_media.serve(MEDIA_PATH.format(n=11), Answer())])
    [row] = photos(rt)
    rt.queues.by_name[queues.Q_MEDIA].empty()  # its job was lost with Redis
    assert recovery.requeue_photos(rt.units, rt.queues.waiting_ids(), 0) == 1
    assert recovery.requeue_photos(rt.units, rt.queues.waiting_ids(), 0) == 0  # queued once
    work(rt, ALL_QUEUES)
    [row] = photos(rt)
    assert row.status == "stored" and len(twilio_media.hits) == 1


def test_the_drills_twilio_stand_in_serves_media_to_the_photo_job(client, rt):
    from dataclasses import replace

    from hotline_drill.twilio_standin import WORKSHEET_JPEG, StandIn
    from tests.support.stack import ACCOUNT_SID
    standin = StandIn()
    base = standin.start()
    try:
        load_roster(rt)
        rt.config = replace(rt.config, twilio_account_sid=ACCOUNT_SID, twilio_api_base_url=base)
        chair = Phone(client, rt, "+15155550142")
        chair.send(FIRST, media=[base + MEDIA_PATH.format(n=12)])
        work(rt, ALL_QUEUES)
    finally:
        standin.stop()
    [row] = photos(rt)
    assert row.status == "stored" and row.content_type == "image/jpeg"
    assert row.sha256 == hashlib.sha256(WORKSHEET_JPEG).hexdigest()
