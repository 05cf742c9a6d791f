"""Precincts that started reporting but left a stage out for too long."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select

from hotline.adapters.models import BacklogItem, Precinct, Report, utcnow
from hotline.domain.lifecycle import ReportStatus
from hotline.domain.model import Stage
from hotline.domain.languages import speaking
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, outbox, reports, roster
from hotline.services.units import Units

# Precincts with a counting report for some stages but not all, the first recorded long enough ago.
STARTED_NOT_DONE = (select(Report.precinct_id).where(Report.status == ReportStatus.CURRENT.value)
                    .group_by(Report.precinct_id).having(func.count() < len(Stage), func.min(Report.recorded_at) <= bindparam("cutoff")))
REMINDED = select(BacklogItem.dedupe_key).where(BacklogItem.dedupe_key.like("incomplete:%"))


def remind_incomplete(units: Units) -> int:
    """Open one backlog item and send one reminder per precinct still missing a stage."""
    cutoff = utcnow() - timedelta(minutes=units.config.complete_after_minutes)
    # Looked for in a read snapshot first: every sweep asks, and the answer is nearly always
    # "nobody new", which needs no write lock (webhooks would wait behind it on SQLite).
    with units.reading() as s:
        reminded = set(s.execute(REMINDED).scalars())
        due = [pid for pid, code in s.execute(select(Precinct.id, Precinct.code).where(
            Precinct.id.in_(STARTED_NOT_DONE)), {"cutoff": cutoff}) if f"incomplete:{code}" not in reminded]
    if not due:
        return 0
    opened = 0
    with units.begin() as uow:
        s = uow.session
        for precinct in s.execute(select(Precinct).where(Precinct.id.in_(due))).scalars():
            key = f"incomplete:{precinct.code}"
            if s.execute(select(BacklogItem.id).where(BacklogItem.dedupe_key == key)).first():
                continue  # one reminder per precinct, ever (another worker may just have sent it)
            missing = reports.missing_stages(s, precinct.id)
            if not missing:
                continue  # the last stage came in since the snapshot
            names = ", ".join(m.label.lower() for m in missing)
            backlog.open_item(s, "failed_check", precinct_id=precinct.id, dedupe_key=key,
                              summary=f"{precinct.code}: {names} still missing "
                                      f"{units.config.complete_after_minutes} minutes after the first stage")
            chain.record(s, "stage_missing", precinct=precinct.code, missing=[m.value for m in missing])
            for phone in roster.registered_phones(s, precinct)[:1]:
                with speaking(roster.language_of([precinct])):  # the chair's roster language
                    body = replies.incomplete_reminder(precinct.code, missing)
                outbox.queue_sms(uow, phone, body, "incomplete_reminder", priority=1, precinct_id=precinct.id)
            opened += 1
    return opened
