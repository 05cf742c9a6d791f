"""Results entered by staff for a chair: parsed like a text, counted only after a second staff member approves."""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.db import UnitOfWork
from hotline.domain.wording import sms as replies
from hotline.domain.model import Stage
from hotline.domain.parsing import Report, parse_message
from hotline.adapters.models import Precinct, Submission, utcnow
from hotline.runtime import Runtime
from hotline.services.records import backlog, checking, outbox as outbound, reports, roster
from hotline.services.log import chain as vlog


class EntryError(ValueError):
    """The entry cannot be taken or approved; `problems` says why in plain words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def parse_text(rt: Runtime, precinct: Precinct, text: str) -> tuple[reports.Sections, int | None]:
    """Read free text exactly like a chair's SMS; raise EntryError listing what could not be read.

    Call it before opening a transaction: the roster cache may need one of its own.
    """
    parsed = parse_message(text, roster.candidates(rt), known_precincts=roster.known_codes(rt))
    if not isinstance(parsed, Report):
        raise EntryError(["That reads as a command (like YES or HELP), not as results."])
    problems = list(parsed.errors)
    if parsed.precinct and parsed.precinct != precinct.code:
        problems.append(f"The text names precinct {parsed.precinct}, but you are entering {precinct.code}.")
    if not parsed.sections or not any(sec.counts for sec in parsed.sections):
        problems.append("I found no numbers.")
    elif any(sec.stage is None for sec in parsed.sections):
        problems.append(replies.NEED_STAGE)
    if problems:
        raise EntryError(problems)
    return [(sec.stage, sec.counts) for sec in parsed.sections if sec.stage], parsed.attendance


def enter(uow: UnitOfWork, rt: Runtime, precinct: Precinct, user: str, sections: reports.Sections,
          attendance: int | None, *, body: str = "", item_id: int | None = None) -> reports.Issued:
    """Store a staff entry as a pending report that waits for another staff member's approval."""
    if not sections or not any(counts for _, counts in sections):
        raise EntryError(["Enter at least one number."])
    draft = reports.Draft(precinct=precinct, sections=sections, attendance=attendance, source="staff",
                          sender=user, confirm_phone=None, body=body or _as_text(sections, attendance))
    issued = reports.issue(uow, rt, draft)
    vlog.record(uow.session, "staff_entered", precinct=precinct.code, actor=user,
                submission_id=issued.submission.id, item_id=item_id, attendance=attendance,
                stages={stage.value: dict(counts) for stage, counts in sections},
                findings=[f.code for f in issued.findings])
    return issued


def _as_text(sections: reports.Sections, attendance: int | None) -> str:
    lines = [f"{stage.value}: {replies.format_counts(counts)}" for stage, counts in sections]
    return "\n".join(lines + ([f"attendance {attendance}"] if attendance is not None else []))


def pending(s: Session) -> list[Submission]:
    """Staff entries waiting for approval, oldest first."""
    return list(s.execute(select(Submission).where(Submission.source == "staff",
                                                   Submission.status == reports.AWAITING)
                          .order_by(Submission.created_at, Submission.id)).scalars())


def _awaiting(s: Session, submission_id: int) -> Submission:
    sub = s.get(Submission, submission_id)
    if sub is None or sub.source != "staff" or sub.status != reports.AWAITING:
        raise EntryError(["This entry is no longer waiting for approval: it was approved, rejected "
                          + "or replaced by a newer one."])
    return sub


def approve(uow: UnitOfWork, rt: Runtime, submission_id: int, approver: str) -> list[checking.Finding]:
    """A second staff member approves: the entry becomes the precinct's counting report."""
    s = uow.session
    sub = _awaiting(s, submission_id)
    if sub.sender == approver:
        raise EntryError(["You entered these results, so someone else must approve them."])
    now = utcnow()
    sub.approved_at, sub.approved_by = now, approver
    code = reports.active_code(s, sub.id)
    if code is not None:
        code.used_at = now  # approval stands in for the chair's code; it must not be usable later
    vlog.record(s, "staff_approved", precinct=sub.precinct.code, actor=approver,
                submission_id=sub.id, entered_by=sub.sender)
    findings = reports.confirm(uow, rt, sub, actor=approver).findings
    if not sub.flagged:
        backlog.auto_resolve(s, f"check:{sub.precinct.code}",
                             f"corrected by {sub.sender}, approved by {approver}")
    _tell_chair(uow, rt, sub)
    return findings


def _tell_chair(uow: UnitOfWork, rt: Runtime, sub: Submission) -> None:
    """The chair hears what was recorded in their name, so a wrong entry is noticed."""
    phones = roster.registered_phones(uow.session, sub.precinct)
    if not phones:
        return
    stages = "; ".join(f"{Stage(r.stage).label}: {replies.format_counts(r.counts)}" for r in sub.reports)
    outbound.queue_sms(uow, rt, phones[0],
                       f"Caucus hotline staff recorded for {sub.precinct.code}: {stages}. "
                       "If this is wrong, text the right numbers or call the hotline.",
                       "staff_recorded", priority=1, precinct_id=sub.precinct_id)


def reject(s: Session, submission_id: int, user: str, reason: str) -> Submission:
    """Drop a staff entry (the author may withdraw it, anyone else may reject it) with a reason."""
    reason = reason.strip()
    if not reason:
        raise EntryError(["Say why the entry is rejected."])
    sub = _awaiting(s, submission_id)
    reports.void(sub, "rejected")
    vlog.record(s, "staff_rejected", precinct=sub.precinct.code, actor=user, submission_id=sub.id,
                entered_by=sub.sender, reason=reason)
    return sub


def counts_of(sections: Mapping[Stage, Mapping[str, int]]) -> reports.Sections:
    """Sections in stage order, leaving out stages with no numbers."""
    return [(stage, dict(sections[stage])) for stage in Stage if sections.get(stage)]
