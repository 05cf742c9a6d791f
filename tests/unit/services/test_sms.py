"""Texting the hotline, use case by use case: stored, handled, answered (no Redis, no worker)."""
from __future__ import annotations

import itertools
import re

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, InboundMessage, OutboundMessage, Report, Submission
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus
from hotline.services.sms import inbox, process, receive
from hotline.services.units import Units
from tests.unit.services.fakes import FakeJobs

CHAIR, STRANGER = "+15155550142", "+12025550199"
FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
_sids = itertools.count()


def text(units: Units, phone: str, body: str) -> str:
    """Store one text as the webhook would, handle it as the job would; the reply to `phone`."""
    stored = inbox.store(units, "sms", f"SM{next(_sids):032d}", {"From": [phone], "Body": [body]})
    process.handle_texts(units, None, stored.inbound_id, phone)  # type: ignore[arg-type]
    return last_reply(units, phone)


def last_reply(units: Units, phone: str) -> str:
    with units.reading() as s:
        return s.scalars(select(OutboundMessage.body).where(OutboundMessage.to_number == phone)
                         .order_by(OutboundMessage.id.desc())).first() or ""


def code_in(reply: str) -> str:
    found = re.search(r"YES (\d{4,6})", reply)
    assert found, reply
    return found.group(1)


def outcomes(units: Units) -> list[str]:
    with units.reading() as s:
        return list(s.scalars(select(InboundMessage.outcome).order_by(InboundMessage.id)))


def test_a_report_is_read_back_with_a_code_and_counts_only_after_yes(units, jobs: FakeJobs):
    reply = text(units, CHAIR, FIRST)
    assert reply.startswith("DSM-42 read-back:") and "Buttigieg 45" in reply
    with units.reading() as s:
        assert s.scalars(select(Report.status)).all() == [ReportStatus.PENDING.value]
    assert "results_changed" not in jobs.kinds()
    assert text(units, CHAIR, f"yes {code_in(reply)}").startswith("Recorded for DSM-42: first alignment.")
    with units.reading() as s:
        assert s.scalars(select(Report.status)).all() == [ReportStatus.CURRENT.value]
        assert s.scalars(select(Submission.status)).all() == [SubmissionStatus.CONFIRMED.value]
    assert jobs.kinds().count("results_changed") == 1  # the public results are told once, after commit
    assert outcomes(units) == ["readback", "confirmed"]


def test_every_reply_is_queued_for_sending_after_the_commit(units, jobs: FakeJobs):
    text(units, CHAIR, "HELP")
    with units.reading() as s:
        ids = s.scalars(select(OutboundMessage.id)).all()
    assert [q for q in jobs.queued if q[0] == "send"] == [("send", ids[0], 0)]


def test_wrong_codes_count_down_then_lock_and_open_a_backlog_item(units):
    code = code_in(text(units, CHAIR, FIRST))
    wrong = "0000" if code != "0000" else "1111"
    assert "2 tries left" in text(units, CHAIR, f"YES {wrong}")
    assert "1 try left" in text(units, CHAIR, f"YES {wrong}")
    assert text(units, CHAIR, f"YES {wrong}").startswith("Too many wrong codes")
    with units.reading() as s:
        assert s.scalars(select(Submission.status)).all() == [SubmissionStatus.LOCKED.value]
        assert s.scalars(select(Report.status)).all() == [ReportStatus.DISCARDED.value]
        assert s.scalars(select(BacklogItem.kind)).all() == ["code_lockout"]
    assert text(units, CHAIR, f"YES {code}").startswith("Nothing is waiting")  # the right code, too late


def test_a_newer_report_replaces_the_waiting_one_and_its_code_is_explained(units):
    old = code_in(text(units, CHAIR, FIRST))
    new = code_in(text(units, CHAIR, FIRST.replace("Warren 30", "Warren 31")))
    if old != new:
        assert text(units, CHAIR, f"YES {old}").startswith("That code is from an older read-back")
    assert text(units, CHAIR, f"YES {new}").startswith("Recorded for DSM-42")


def test_a_split_report_is_joined_again(units):
    text(units, CHAIR, "first: Biden 12, Pete 45, Klobuchar")
    reply = text(units, CHAIR, "8, Bernie 40, Warren 30")
    assert "updated read-back" in reply and "Klobuchar 8" in reply and "Warren 30" in reply


def test_cancel_status_done_help_and_call(units):
    text(units, CHAIR, FIRST)
    assert text(units, CHAIR, "STATUS").startswith("DSM-42: First alignment: not yet.")
    assert "waiting for your YES" in last_reply(units, CHAIR)
    assert text(units, CHAIR, "NO").startswith("Cancelled: the unconfirmed report for DSM-42")
    assert text(units, CHAIR, "DONE").startswith("DSM-42 is missing: first alignment")
    assert text(units, CHAIR, "help").startswith("Caucus hotline.")
    assert "will call this number (ending 0142)" in text(units, CHAIR, "please call me")
    with units.reading() as s:
        assert s.scalars(select(BacklogItem.kind)).all() == ["callback_request"]


def test_an_unknown_number_is_told_how_to_report_a_few_times_then_only_recorded(units):
    replies = [text(units, STRANGER, FIRST) for _ in range(4)]
    assert replies[0].startswith("This phone is not registered")
    with units.reading() as s:
        sent = s.scalars(select(OutboundMessage.id).where(OutboundMessage.to_number == STRANGER)).all()
        items = s.scalars(select(BacklogItem.kind)).all()
    assert len(sent) == units.config.unknown_sender_replies_per_hour  # 3, not 4
    assert items == ["unknown_sender"]  # one item per number, however often it texts


def test_a_pin_from_another_phone_sends_the_code_to_the_registered_phone(units):
    reply = text(units, STRANGER, f"DSM-42 PIN 4321 {FIRST}")
    assert reply.startswith("PIN accepted for DSM-42. We texted a code to the chair's registered phone")
    to_chair = last_reply(units, CHAIR)
    assert "came from a phone ending 0199" in to_chair
    assert text(units, CHAIR, f"YES {code_in(to_chair)}").startswith("Recorded for DSM-42")


def test_wrong_pins_lock_the_phone_that_typed_them(units):
    # Only the guessing phone locks (tests/unit/services/test_pins.py has the precinct's slow-down).
    for _ in range(units.config.pin_max_failures - 1):
        assert "That PIN is not right for DSM-42" in text(units, STRANGER, f"DSM-42 PIN 1111 {FIRST}")
    locked = "Too many wrong PINs from this phone."
    assert text(units, STRANGER, f"DSM-42 PIN 1111 {FIRST}").startswith(locked)
    assert text(units, STRANGER, f"DSM-42 PIN 4321 {FIRST}").startswith(locked)


def test_the_webhook_use_case_stores_and_queues_a_chairs_text(units, jobs: FakeJobs, monkeypatch):
    from hotline.services.sms import admission
    monkeypatch.setattr(admission, "admit", lambda *a, **k: admission.Admission(True, False, False))
    assert receive.receive(units, None, "SM1", CHAIR, {"From": [CHAIR], "Body": [FIRST]}) == "queued"  # type: ignore[arg-type]
    assert receive.receive(units, None, "SM1", CHAIR, {"From": [CHAIR], "Body": [FIRST]}) == "duplicate"  # type: ignore[arg-type]
    assert jobs.kinds() == ["inbound"]  # Twilio's retry is acknowledged, not handled twice
