"""Results entered by staff for a chair: parsed like a text, counted only once a second staff member
approves them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.adapters.models import BacklogItem, Precinct, Submission, Worksheet, utcnow
from hotline.domain.lifecycle import SubmissionStatus
from hotline.domain.model import Candidate, Stage
from hotline.domain.parsing import Report, missing_parts, parse_message
from hotline.domain.wording import sms as replies
from hotline.services.console import claims
from hotline.services.console.views import (
    ItemView,
    PrecinctView,
    SheetView,
    SubmissionView,
    UnknownPrecinct,
    item_view,
    precinct_view,
    sheet_view,
    submission_view,
)
from hotline.services.log import chain as vlog
from hotline.services.records import backlog, checking, outbox, reports, roster
from hotline.services.units import UnitOfWork, Units

AWAITING = SubmissionStatus.AWAITING.value


class EntryError(ValueError):
    """The entry cannot be taken or approved; `problems` says why in plain words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class NothingChanged(EntryError):
    """Every figure entered is the one already recorded: nothing is entered (no empty correction)."""

    def __init__(self, code: str) -> None:
        super().__init__([f"Nothing changed: these are the figures already recorded for {code.upper()}, "
                          "so nothing was entered."])


@dataclass(frozen=True)
class Recorded:
    """The precinct's counting figures now: what the entry boxes start from."""

    stages: dict[Stage, dict[str, int]]
    attendance: int | None
    at: datetime | None  # when the newest of them was recorded


@dataclass(frozen=True)
class EntryForm:
    """The entry page: the precinct, the item it is entered for, a worksheet to copy, the candidates,
    and the figures recorded now."""

    precinct: PrecinctView
    item: ItemView | None
    worksheet: SheetView | None
    candidates: list[Candidate]
    recorded: Recorded = Recorded({}, None, None)


def form(units: Units, code: str, item_id: int | None = None, worksheet_id: int | None = None) -> EntryForm:
    """What the entry page for precinct `code` shows; UnknownPrecinct when there is none."""
    candidates = roster.candidates(units)
    with units.reading() as s:
        precinct = roster.precinct_by_code(s, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        item = s.get(BacklogItem, item_id) if item_id else None
        ws = s.get(Worksheet, worksheet_id) if worksheet_id else None
        return EntryForm(precinct_view(precinct), item_view(item) if item else None,
                         sheet_view(ws) if ws else None, candidates, recorded(s, precinct.id))


def recorded(s: Session, precinct_id: int) -> Recorded:
    """The precinct's current (counting) figures per stage and the attendance the checks use."""
    current = reports.current_reports(s, precinct_id)
    stages = {stage: dict(current[stage].counts) for stage in Stage if stage in current}
    times = [r.recorded_at for r in current.values() if r.recorded_at is not None]
    attendance = s.execute(checking.LATEST_ATTENDANCE, {"precinct_id": precinct_id}).scalar()
    return Recorded(stages, attendance, max(times) if times else None)


def changes_only(now: Recorded, sections: reports.Sections,
                 attendance: int | None) -> tuple[reports.Sections, int | None]:
    """The stages whose figures differ from the recorded ones (or are new), and the attendance
    only when it differs. The boxes start from the recorded figures, so a correction of one box
    must not enter the other stages again as "corrections" of themselves. A changed attendance
    alone travels with the first stage given (a report needs a stage to carry it)."""
    changed = [(stage, counts) for stage, counts in sections if dict(counts) != now.stages.get(stage)]
    new_attendance = attendance if attendance is not None and attendance != now.attendance else None
    if not changed and new_attendance is not None and sections:
        changed = [sections[0]]
    return changed, new_attendance


def submit(units: Units, code: str, user: str, *, text: str = "",
           sections: reports.Sections = (), attendance: int | None = None, item_id: int | None = None) -> int:
    """Store `user`'s entry for precinct `code` (typed as `text`, or as `sections`) to await approval.

    From an item (`item_id`), only its claim holder may enter. Returns the submission's id.
    """
    if text:
        # Parsed before the write transaction, which then stays short.
        sections, attendance = parse_text(units, code, text)
    with units.begin() as uow:
        if item_id:
            claims.held(uow.session, item_id, user, uow.config.claim_ttl_seconds)
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        body = text
        if sections and any(counts for _, counts in sections):
            # Only what differs from the recorded figures is entered (NothingChanged when nothing does).
            given = list(sections)
            sections, attendance = changes_only(recorded(uow.session, precinct.id), given, attendance)
            if not sections:
                raise NothingChanged(precinct.code)
            if len(sections) != len(given):
                body = ""  # the typed text names stages left out: describe what is entered instead
        return enter(uow, precinct, user, sections, attendance, body=body, item_id=item_id).submission.id


def parse_text(units: Units, code: str, text: str) -> tuple[reports.Sections, int | None]:
    """Read free text exactly like a chair's SMS; raise EntryError listing what could not be read."""
    code = code.upper()
    parsed = parse_message(text, roster.candidates(units), known_precincts=roster.known_codes(units))
    if not isinstance(parsed, Report):
        raise EntryError(["That reads as a command (like YES or HELP), not as results."])
    problems = list(parsed.errors)
    if parsed.precinct and parsed.precinct != code:
        problems.append(f"The text names precinct {parsed.precinct}, but you are entering {code}.")
    problems += missing_parts(parsed)
    if problems:
        raise EntryError(problems)
    return [(sec.stage, sec.counts) for sec in parsed.sections if sec.stage], parsed.attendance


def enter(uow: UnitOfWork, precinct: Precinct, user: str, sections: reports.Sections,
          attendance: int | None, *, body: str = "", item_id: int | None = None) -> reports.Issued:
    """Store a staff entry as a pending report that waits for another staff member's approval."""
    if not sections or not any(counts for _, counts in sections):
        raise EntryError(["Enter at least one number."])
    draft = reports.Draft(precinct=precinct, sections=sections, attendance=attendance, source="staff",
                          sender=user, confirm_phone=None, body=body or _as_text(sections, attendance))
    issued = reports.issue(uow, draft)
    vlog.record(uow.session, "staff_entered", precinct=precinct.code, actor=user,
                submission_id=issued.submission.id, item_id=item_id, attendance=attendance,
                stages={stage.value: dict(counts) for stage, counts in sections},
                findings=[f.code for f in issued.findings])
    return issued


def _as_text(sections: reports.Sections, attendance: int | None) -> str:
    lines = [f"{stage.value}: {replies.format_counts(counts)}" for stage, counts in sections]
    return "\n".join(lines + ([f"attendance {attendance}"] if attendance is not None else []))


def pending(s: Session) -> list[Submission]:
    """Staff entries waiting for approval, oldest first, with their stages loaded."""
    return list(s.execute(select(Submission)
                          .where(Submission.source == "staff", Submission.status == AWAITING)
                          .options(selectinload(Submission.reports))
                          .order_by(Submission.created_at, Submission.id)).scalars())


def waiting(units: Units) -> list[SubmissionView]:
    """Staff entries waiting for a second staff member, oldest first (the approvals page)."""
    with units.reading() as s:
        return [submission_view(sub) for sub in pending(s)]


def _awaiting(s: Session, submission_id: int) -> Submission:
    sub = s.get(Submission, submission_id)
    if sub is None or sub.source != "staff" or sub.status != AWAITING:
        raise EntryError(["This entry is no longer waiting for approval: it was approved, rejected "
                          + "or replaced by a newer one."])
    return sub


def approve(units: Units, submission_id: int, approver: str) -> list[checking.Finding]:
    """A second staff member approves: the entry becomes the precinct's counting report."""
    with units.begin() as uow:
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
        findings = reports.confirm(uow, sub, actor=approver).findings
        if not sub.flagged:
            backlog.auto_resolve(s, f"check:{sub.precinct.code}",
                                 f"corrected by {sub.sender}, approved by {approver}")
        _tell_chair(uow, sub)
        return findings


def _tell_chair(uow: UnitOfWork, sub: Submission) -> None:
    """The chair hears what was recorded in their name, so a wrong entry is noticed."""
    phones = roster.registered_phones(uow.session, sub.precinct)
    if not phones:
        return
    stages = [(Stage(r.stage), r.counts) for r in sub.reports]
    outbox.queue_sms(uow, phones[0], replies.staff_recorded(sub.precinct.code, stages), "staff_recorded",
                     priority=1, precinct_id=sub.precinct_id)


def reject(units: Units, submission_id: int, user: str, reason: str) -> None:
    """Drop a staff entry (the author may withdraw it, anyone else may reject it) with a reason."""
    reason = reason.strip()
    if not reason:
        raise EntryError(["Say why the entry is rejected."])
    with units.begin() as uow:
        sub = _awaiting(uow.session, submission_id)
        reports.void(sub, SubmissionStatus.REJECTED)
        vlog.record(uow.session, "staff_rejected", precinct=sub.precinct.code, actor=user,
                    submission_id=sub.id, entered_by=sub.sender, reason=reason)


def counts_of(sections: Mapping[Stage, Mapping[str, int]]) -> reports.Sections:
    """Sections in stage order, leaving out stages with no numbers."""
    return [(stage, dict(sections[stage])) for stage in Stage if sections.get(stage)]
