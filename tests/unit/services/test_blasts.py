"""Reminders and broadcasts: who gets them, filters, never twice, cancel midway, behind read-backs,
and the bad inputs (no recipients, opted-out phones only, too many, saturated numbers)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.adapters.models import Blast, BlastRecipient, LogEntry, OutboundMessage, PhoneOptOut
from hotline.services.console import missing_reports as mr
from hotline.services.ops import blasts, delivery
from hotline.services.records import outbox
from tests.unit.services.fakes import FakeJobs, FakeSender, memory_units
from tests.unit.services.test_sms import CHAIR, FIRST, code_in, text

ALL_FIRST_PHONES = {"+15155550142", "+15155550107", "+15155550201", "+13195550105"}


def confirm_first(units) -> None:
    assert text(units, CHAIR, f"yes {code_in(text(units, CHAIR, FIRST))}").startswith("Recorded")


def blast_rows(units, blast_id: int) -> list:
    with units.reading() as s:
        ids = select(BlastRecipient.outbound_id).where(BlastRecipient.blast_id == blast_id)
        m = OutboundMessage
        return list(s.execute(select(m.id, m.to_number, m.priority, m.kind, m.status)
                              .where(m.id.in_(ids)).order_by(m.id)))


def test_the_missing_view_groups_by_county_in_natural_order_and_filters(units):
    confirm_first(units)
    view = mr.show(units)
    assert [(g.name, [r.code for r in g.rows]) for g in view.groups] == [
        ("Johnson", ["IC-5"]), ("Polk", ["DSM-7", "DSM-42"]), ("Story", ["AMES-1"])]
    dsm42 = next(r for r in view.rows if r.code == "DSM-42")
    assert dsm42.missing == ("final", "delegates") and dsm42.reported == ("first",)
    assert (view.total_missing, view.no_report, view.since_label) == (4, 3, "the first report of the night")
    assert [r.code for r in mr.show(units, mr.Filters(county="Polk")).rows] == ["DSM-7", "DSM-42"]
    assert [r.code for r in mr.show(units, mr.Filters(stage="first")).rows] == ["IC-5", "DSM-7", "AMES-1"]
    with pytest.raises(ValueError):
        mr.Filters(stage="second")


def test_the_natural_sort_puts_dsm_2_before_dsm_10():
    assert sorted(["DSM-10", "DSM-2", "AMES-1"], key=mr.natural_key) == ["AMES-1", "DSM-2", "DSM-10"]


def test_since_the_caucus_started_when_the_start_is_configured(jobs):
    u = memory_units(jobs, caucus_starts_at=datetime(2020, 2, 4, 1, 0, tzinfo=timezone.utc))
    view = mr.show(u)
    assert view.since == datetime(2020, 2, 4, 1, 0, tzinfo=timezone.utc) and view.since_label == "the caucus started"


def test_a_reminder_goes_to_each_missing_precincts_first_phone_at_the_lowest_priority(units, jobs: FakeJobs):
    confirm_first(units)
    p = blasts.preview(units, "reminder")
    assert {r.phone for r in p.recipients} == ALL_FIRST_PHONES  # DSM-7's second phone is left alone
    assert p.segments_each == (1,) and p.by_encoding == {"GSM-7": 4}
    by_code = {r.codes: r.body for r in p.recipients}
    assert "DSM-42 still needs the final alignment and county delegates" in by_code[("DSM-42",)]
    assert "no results for IC-5 yet" in by_code[("IC-5",)]
    sent = blasts.send(units, "reminder", "carol")
    rows = blast_rows(units, sent.blast_id)
    assert {r.priority for r in rows} == {blasts.BLAST_PRIORITY} and {r.kind for r in rows} == {"blast_reminder"}
    assert [q for q in jobs.queued if q[0] == "send"][-4:] == [("send", r.id, 2) for r in rows]
    with units.reading() as s:
        entry = s.scalars(select(LogEntry).where(LogEntry.kind == "blast_sent")).one()
        assert entry.actor == "carol" and entry.detail["recipients"] == 4
        assert s.get(Blast, sent.blast_id).recipients == 4


def test_read_backs_stay_ahead_of_a_blast(units, jobs: FakeJobs):
    blasts.send(units, "reminder", "carol")
    reply = text(units, CHAIR, FIRST)
    with units.reading() as s:
        readback = s.execute(select(OutboundMessage.id, OutboundMessage.priority)
                             .where(OutboundMessage.body == reply)).one()
    assert readback.priority == 0 < blasts.BLAST_PRIORITY
    assert ("send", readback.id, 0) in jobs.queued


def test_filters_choose_the_recipients_and_not_reminded_skips_the_reminded(units):
    first = blasts.send(units, "reminder", "carol", mr.Filters(county="Polk"))
    assert {r.to_number for r in blast_rows(units, first.blast_id)} == {"+15155550142", "+15155550107"}
    view = mr.show(units)
    assert {r.code for r in view.rows if r.reminded_at} == {"DSM-42", "DSM-7"}
    again = blasts.send(units, "reminder", "carol", mr.Filters(not_reminded=True))
    assert {r.to_number for r in blast_rows(units, again.blast_id)} == {"+15155550201", "+13195550105"}
    with pytest.raises(blasts.BlastError, match="No chair matches"):
        blasts.preview(units, "reminder", mr.Filters(not_reminded=True))


def test_a_chair_is_never_sent_the_same_blast_twice(units):
    sent = blasts.send(units, "broadcast", "carol", text="The hotline number changed: text 515-555-9000.")
    assert len(blast_rows(units, sent.blast_id)) == 4
    with pytest.raises(blasts.BlastError, match="moments ago"):  # a double click
        blasts.send(units, "broadcast", "carol", text="The hotline number changed: text 515-555-9000.")
    with pytest.raises(IntegrityError):
        with units.begin() as uow:
            uow.session.add(BlastRecipient(blast_id=sent.blast_id, phone=CHAIR))
            uow.session.flush()
    assert len(blast_rows(units, sent.blast_id)) == 4


def test_a_blast_cancelled_midway_sends_nothing_more(units):
    sent = blasts.send(units, "reminder", "carol")
    rows = blast_rows(units, sent.blast_id)
    sender = FakeSender()
    assert delivery.deliver(units, sender, None, rows[0].id) == "queued"  # the first went out
    assert blasts.cancel(units, sent.blast_id, "dave") == 3
    for row in rows[1:]:
        assert delivery.deliver(units, sender, None, row.id) == "skipped"
    assert len(sender.sent) == 1
    assert [r.status for r in blast_rows(units, sent.blast_id)] == ["queued", "cancelled", "cancelled", "cancelled"]
    summary = blasts.recent(units)[0]
    assert (summary.sent, summary.waiting, summary.cancelled, summary.cancelled_by) == (1, 0, 3, "dave")
    with pytest.raises(blasts.BlastError, match="already cancelled"):
        blasts.cancel(units, sent.blast_id, "dave")
    with units.reading() as s:
        assert s.scalars(select(LogEntry.detail).where(LogEntry.kind == "blast_cancelled")).one()["unsent"] == 3


def test_opted_out_phones_are_left_out_and_only_opted_out_is_refused(units):
    with units.begin() as uow:
        uow.session.add(PhoneOptOut(phone="+15155550142", opted_out=True, source="text"))
    p = blasts.preview(units, "reminder")
    assert "+15155550142" not in {r.phone for r in p.recipients} and p.opted_out == 1
    with units.begin() as uow:
        uow.session.add(PhoneOptOut(phone="+15155550107", opted_out=True, source="text"))
    with pytest.raises(blasts.BlastError, match="opted out of texts"):
        blasts.send(units, "reminder", "carol", mr.Filters(county="Polk"))


def test_no_recipients_too_many_and_an_empty_broadcast_are_refused(jobs):
    u = memory_units(jobs, blast_max_recipients=3)
    with pytest.raises(blasts.BlastError, match="over the limit of 3"):
        blasts.preview(u, "reminder")
    with pytest.raises(blasts.BlastError, match="No chair matches"):
        blasts.preview(u, "broadcast", mr.Filters(county="Nowhere"), text="hello")
    with pytest.raises(blasts.BlastError, match="Write the broadcast"):
        blasts.preview(u, "broadcast", text="  ")
    with u.reading() as s:
        assert s.scalars(select(Blast)).all() == []


def test_a_reminder_while_the_numbers_are_saturated_says_how_long(jobs, caplog):
    u = memory_units(jobs, send_rate_per_number=1.0)  # one number at 1 segment a second
    with u.begin() as uow:
        for i in range(90):
            outbox.queue_sms(uow, f"+1202555{i:04d}", "x", "test")
    with pytest.raises(blasts.BlastError, match=r"saturated: 90 segments already wait, about 1 min 30 s.*about 4 s more"):
        blasts.send(u, "reminder", "carol")
    assert "blast refused" in caplog.text
    assert blasts.send(u, "reminder", "carol", even_if_busy=True).preview.texts == 4
