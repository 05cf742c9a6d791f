"""Texts that ask rather than report: HELP, CANCEL (or NO), STATUS, DONE and CALL."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.adapters.models import Precinct, Report, Submission, utcnow
from hotline.domain.lifecycle import SubmissionStatus
from hotline.domain.model import Stage
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, checking, reports
from hotline.services.sms.message import Answer, Incoming, say
from hotline.services.units import UnitOfWork


def help_(uow: UnitOfWork, text: Incoming, parsed: Any) -> Answer:
    """HELP: the format, in one text."""
    return say("help", replies.HELP)


def cancel(uow: UnitOfWork, text: Incoming, parsed: Any) -> Answer:
    """CANCEL: drop this phone's unconfirmed reports."""
    s = uow.session
    subs = list(s.execute(select(Submission).where(
        or_(Submission.sender == text.phone, Submission.confirm_phone == text.phone),
        Submission.status == SubmissionStatus.AWAITING)).scalars())
    if not subs:
        return say("nothing_to_cancel", replies.NOTHING_TO_CANCEL)
    for sub in subs:
        reports.void(sub, SubmissionStatus.CANCELLED)
        chain.record(s, "report_cancelled", precinct=sub.precinct.code, phone=text.phone,
                     submission_id=sub.id)
    codes = ", ".join(sorted({sub.precinct.code for sub in subs}))
    return say("cancelled", replies.CANCELLED.format(code=codes))


def status(uow: UnitOfWork, text: Incoming, parsed: Any) -> Answer:
    """STATUS: what is recorded (and waiting) for this phone's precincts."""
    s = uow.session
    if not text.registered:
        return say("status_unregistered", replies.UNREGISTERED, "unregistered", priority=1)
    texts = []
    for precinct in text.registered:
        current = reports.current_reports(s, precinct.id)
        flagged, why = _flagged(s, precinct, current)
        lines = []
        for stage in Stage:
            line = replies.status_stage(stage.label, current[stage].counts if stage in current else None)
            lines.append(replies.flagged_stage(line) if stage in flagged else line)
        if flagged:
            lines.append(replies.flagged_why(flagged, why))
        waiting = reports.pending_count(s, text.phone, precinct.id)
        if waiting:
            lines.append(replies.status_waiting(waiting))
        texts.append(replies.status(precinct.code, lines))
    return say("status", "\n".join(texts), priority=1)


def done(uow: UnitOfWork, text: Incoming, parsed: Any) -> Answer:
    """DONE: the chair says the report is complete; check that all three stages are in."""
    s = uow.session
    if not text.registered:
        return say("done_unregistered", replies.UNREGISTERED, "unregistered", priority=1)
    parts = []
    for precinct in text.registered:
        precinct.chair_done_at = utcnow()
        missing = reports.missing_stages(s, precinct.id)
        findings = checking.current(s, precinct)
        chain.record(s, "chair_done", precinct=precinct.code, phone=text.phone,
                     missing=[m.value for m in missing], findings=[f.code for f in findings])
        if any(p.precinct_id == precinct.id for p in reports.pending_for_phone(s, text.phone)):
            parts.append(replies.done_waiting(precinct.code))
        flagged, why = _flagged(s, precinct, reports.current_reports(s, precinct.id))
        if missing:
            parts.append(replies.done_missing(precinct.code, missing))
        elif not flagged:
            parts.append(replies.done_complete(precinct.code))
        else:
            parts.append(f"{precinct.code}: all three stages are recorded.")
        if flagged:
            parts.append(replies.flagged_why(flagged, why))
    return say("done", " ".join(parts), priority=1)


def _flagged(s: Session, precinct: Precinct, current: dict[Stage, Report]) -> tuple[list[Stage], str]:
    """The recorded stages that stand flagged (the newest confirmation failed a check that staff have
    not explained), and why; nothing when the precinct's reports count."""
    newest = s.execute(select(Submission).where(
        Submission.precinct_id == precinct.id, Submission.status == SubmissionStatus.CONFIRMED.value)
        .order_by(Submission.confirmed_at.desc(), Submission.id.desc()).limit(1)).scalars().first()
    if newest is None or not newest.flagged or newest.explained_at is not None:
        return [], ""
    # The stages that newest confirmation sent, and any earlier one still flagged and unexplained.
    stages = [stage for stage in Stage if stage in current and (
        current[stage].submission_id == newest.id
        or (current[stage].submission.flagged and current[stage].submission.explained_at is None))]
    return stages, checking.flag_reason(checking.current(s, precinct))


def call_me(uow: UnitOfWork, text: Incoming, parsed: Any) -> Answer:
    """CALL: the chair wants a person; a call-back item goes to the top of the staff queue."""
    s = uow.session
    precinct = text.registered[0] if len(text.registered) == 1 else None
    who = f"Chair of {precinct.code}" if precinct else "Caller"
    backlog.open_item(s, "callback_request", phone=text.phone, precinct_id=precinct.id if precinct else None,
                      dedupe_key=f"callme:{text.phone}", priority=None if text.registered else 2,
                      summary=f"{who} {text.phone} asked by text for a call back")
    chain.record(s, "callback_requested", precinct=precinct.code if precinct else None, phone=text.phone,
                 channel="sms")
    return say("call_back", replies.CALL_BACK.format(tail=text.phone[-4:]),
               priority=0 if text.registered else 1)
