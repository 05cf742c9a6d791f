"""Reports: the read-back with its code, confirmation, supersession and the precinct's state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import ConfirmationCode, Precinct, Report, Submission, utcnow
from hotline.domain import lifecycle, verification
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus, counts_fingerprint
from hotline.domain.model import Stage
from hotline.domain.verification import CodeState
from hotline.domain.wording import sms as replies
from hotline.services.log import chain as vlog
from hotline.services.records import backlog, checking, feed, holds, outbox, photos, sources
from hotline.services.units import UnitOfWork

AWAITING = SubmissionStatus.AWAITING.value
CURRENT = ReportStatus.CURRENT.value
Sections = Sequence[tuple[Stage, Mapping[str, int]]]


@dataclass(frozen=True)
class Draft:
    """A report as a chair (or staff member) gave it, before any read-back."""

    precinct: Precinct
    sections: Sections
    attendance: int | None
    source: str  # sms | voice | staff
    sender: str
    confirm_phone: str | None
    body: str = ""
    photo_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Issued:
    submission: Submission
    code: str
    findings: list[checking.Finding]


def issue(uow: UnitOfWork, draft: Draft, code_kind: str = "readback") -> Issued:
    """Store the draft as pending reports and issue a one-time code for its confirmation."""
    s = uow.session
    # The precinct as it would be with this draft confirmed; the read-back warns the chair.
    findings = checking.preview(s, draft.precinct, draft.sections, draft.attendance)
    replaced = _replace_pending(s, draft.precinct.id, [stage for stage, _ in draft.sections])
    sub = Submission(precinct_id=draft.precinct.id, source=draft.source, sender=draft.sender,
                     confirm_phone=draft.confirm_phone, status=AWAITING,
                     attendance=draft.attendance, body=draft.body,
                     photo_urls=list(draft.photo_urls), findings=checking.as_json(findings))
    sub.reports = [Report(precinct_id=draft.precinct.id, stage=stage.value, counts=dict(counts),
                          fingerprint=counts_fingerprint(counts), status=ReportStatus.PENDING.value)
                   for stage, counts in draft.sections]
    code = verification.new_code()
    s.add(sub)
    s.add(ConfirmationCode(submission=sub, kind=code_kind, phone=draft.confirm_phone or "",
                           code_hash=verification.hash_code(code, uow.config.secret_key),
                           expires_at=verification.expiry(utcnow(), uow.config.code_ttl_seconds)))
    s.flush()  # one flush for all of it: the log entry names the submission's id
    vlog.record(s, "code_sent", precinct=draft.precinct.code, phone=draft.confirm_phone,
                actor=draft.sender, submission_id=sub.id, code_kind=code_kind, source=draft.source,
                stages=[st.value for st, _ in draft.sections], replaced=replaced,
                findings=[f.code for f in findings])
    return Issued(sub, code, findings)


def same_pending(s: Session, draft: Draft, now: datetime, max_attempts: int, ttl_seconds: int) -> Submission | None:
    """An unconfirmed read-back of exactly this report, from the same phone, whose code is worth
    sending again (see verification.worth_resending)."""
    wanted = {(stage.value, counts_fingerprint(counts)) for stage, counts in draft.sections}
    for sub in s.execute(SAME_SENDER_PENDING, {"precinct_id": draft.precinct.id, "sender": draft.sender,
                                                "source": draft.source}).scalars():
        if (sub.confirm_phone != draft.confirm_phone or sub.attendance != draft.attendance
                or {(r.stage, r.fingerprint) for r in sub.reports} != wanted):
            continue
        row = active_code(s, sub.id)
        if row is not None and verification.worth_resending(code_state(row), now, max_attempts, ttl_seconds):
            return sub
    return None


def _replace_pending(s: Session, precinct_id: int, stages: list[Stage]) -> list[int]:
    """A newer draft for the same stages makes older unconfirmed ones void."""
    replaced = []
    for sub in s.execute(PRECINCT_PENDING, {"precinct_id": precinct_id}).scalars():
        if {r.stage for r in sub.reports} & {st.value for st in stages}:
            void(sub, SubmissionStatus.REPLACED)
            replaced.append(sub.id)
    return replaced


def void(sub: Submission, why: SubmissionStatus) -> None:
    """End an unconfirmed submission (replaced, cancelled, rejected, expired, locked); its reports
    never count."""
    status, report_status = lifecycle.void(sub.status, why)
    sub.status = status.value
    for report in sub.reports:
        report.status = report_status.value


# Built once (a text runs them; building a statement costs more than running it on SQLite).
PENDING_FOR_PHONE = (select(Submission).where(Submission.confirm_phone == bindparam("phone"),
                                              Submission.status == AWAITING).order_by(Submission.id.desc()))
SAME_SENDER_PENDING = select(Submission).where(
    Submission.precinct_id == bindparam("precinct_id"), Submission.sender == bindparam("sender"),
    Submission.source == bindparam("source"), Submission.status == AWAITING)
PENDING_COUNT = (select(func.count()).select_from(Submission).where(
    Submission.confirm_phone == bindparam("phone"), Submission.precinct_id == bindparam("precinct_id"),
    Submission.status == AWAITING))
PRECINCT_PENDING = select(Submission).where(Submission.precinct_id == bindparam("precinct_id"),
                                            Submission.status == AWAITING)
ACTIVE_CODE = (select(ConfirmationCode).where(ConfirmationCode.submission_id == bindparam("submission_id"),
                                              ConfirmationCode.used_at.is_(None))
               .order_by(ConfirmationCode.id.desc()).limit(1))
CURRENT_REPORTS = select(Report).where(Report.precinct_id == bindparam("precinct_id"), Report.status == CURRENT)


def pending_for_phone(s: Session, phone: str) -> list[Submission]:
    """Unconfirmed submissions whose code must come back from `phone`, newest first."""
    return list(s.execute(PENDING_FOR_PHONE, {"phone": phone}).scalars())


def pending_count(s: Session, phone: str, precinct_id: int) -> int:
    """How many of one precinct's read-backs wait for a YES from `phone`."""
    return s.execute(PENDING_COUNT, {"phone": phone, "precinct_id": precinct_id}).scalar_one()


def code_state(row: ConfirmationCode) -> CodeState:
    """What the domain's code rules need to know about a stored code."""
    return CodeState(row.code_hash, row.expires_at, row.attempts, row.used_at is not None)


def active_code(s: Session, submission_id: int) -> ConfirmationCode | None:
    return s.execute(ACTIVE_CODE, {"submission_id": submission_id}).scalars().first()


@dataclass(frozen=True)
class Confirmed:
    findings: list[checking.Finding]
    missing: list[Stage]  # stages the precinct still has no counting report for


def confirm(uow: UnitOfWork, sub: Submission, actor: str) -> Confirmed:
    """Make the submission's reports the current ones, run the checks and flag if needed."""
    s, now = uow.session, utcnow()
    with s.no_autoflush:  # nothing read below depends on these changes: they go in one flush
        sub.status, sub.confirmed_at = lifecycle.confirm(sub.status).value, now
        precinct = sub.precinct
        # Read once and kept up to date here: the checks and the missing stages need it too.
        current = current_reports(s, precinct.id)
        corrected: list[str] = []
        for report in sub.reports:
            stage = Stage(report.stage)
            old = current.get(stage)
            if old is not None:
                if old.counts != report.counts:
                    corrected.append(report.stage)
                old.status, old.superseded_by_id = lifecycle.supersede(old.status).value, report.id
                vlog.record(s, "report_superseded", precinct=precinct.code, actor=actor,
                            report_id=old.id, superseded_by=report.id, stage=report.stage)
            report.status, report.recorded_at = CURRENT, now
            current[stage] = report
        # This submission is now the newest confirmed one: its attendance, when it has one, is the
        # precinct's; without one the checks look up the newest that has.
        findings = checking.current(s, precinct, {stage: r.counts for stage, r in current.items()},
                                    attendance=sub.attendance)
        sub.findings = checking.as_json(findings)
        sub.flagged = checking.is_flagged(findings)
        vlog.record(s, "report_confirmed", precinct=precinct.code, phone=sub.confirm_phone, actor=actor,
                    submission_id=sub.id, source=sub.source,
                    stages={r.stage: r.counts for r in sub.reports}, attendance=sub.attendance,
                    flagged=sub.flagged, findings=[f.code for f in findings])
        uow.after_commit(uow.jobs.results_changed)
        key = f"check:{precinct.code}"
        if sub.flagged:
            item = backlog.open_item(s, "failed_check", precinct_id=precinct.id, phone=sub.confirm_phone,
                                     submission_id=sub.id, dedupe_key=key,
                                     summary=f"{precinct.code}: " + checking.summary(findings))
            # An item already open for this precinct now describes the newest report.
            item.summary, item.submission_id = f"{precinct.code}: " + checking.summary(findings), sub.id
        else:
            backlog.auto_resolve(s, key, "a newer confirmed report passes the checks")
        missing = [stage for stage in Stage if stage not in current]
        if corrected:  # a photo checked against the old figures must be checked again
            photos.unmark_matching(s, precinct.id, precinct.code, actor, corrected)
    holds.after_checks(uow, precinct, findings)  # a copy-error warning holds it until staff look
    # Observers' counts of the same room: a difference holds the figures until staff look.
    sources.reconcile(uow, precinct, {stage: r.counts for stage, r in current.items()}, "chair report", actor)
    # The public results feed: a change to the published figures takes the next sequence number.
    feed.note(s, precinct.id, precinct.code, sub.source, "confirmed")
    return Confirmed(findings, missing)


def current_reports(s: Session, precinct_id: int) -> dict[Stage, Report]:
    """The counting report per stage for one precinct."""
    return {Stage(r.stage): r for r in s.execute(CURRENT_REPORTS, {"precinct_id": precinct_id}).scalars()}


def missing_stages(s: Session, precinct_id: int) -> list[Stage]:
    have = current_reports(s, precinct_id)
    return [stage for stage in Stage if stage not in have]


class NotFlagged(Exception):
    """Only a flagged, confirmed report can be explained."""


def latest_confirmed(s: Session, precinct_id: int) -> Submission | None:
    return s.execute(select(Submission).where(Submission.precinct_id == precinct_id,
                                              Submission.status == SubmissionStatus.CONFIRMED.value)
                     .order_by(Submission.confirmed_at.desc())).scalars().first()


def explain(uow: UnitOfWork, precinct: Precinct, staff: str, note: str) -> Submission:
    """Staff explain a flagged report (e.g. a coin toss): it is published, the chair is told."""
    s = uow.session
    note = note.strip()
    if not note:
        raise ValueError("an explanation note is required")
    sub = latest_confirmed(s, precinct.id)
    if sub is None or not sub.flagged:
        raise NotFlagged(f"{precinct.code} has no flagged report to explain")
    sub.explained_at, sub.explained_by, sub.explanation = utcnow(), staff, note
    vlog.record(s, "report_explained", precinct=precinct.code, actor=staff, submission_id=sub.id,
                note=note, findings=[f["code"] for f in sub.findings])
    backlog.auto_resolve(s, f"check:{precinct.code}", f"explained by {staff}: {note}")
    if sub.confirm_phone:
        outbox.queue_sms(uow, sub.confirm_phone, replies.explained(precinct.code, note), "explained",
                         priority=1, precinct_id=precinct.id)
    feed.note(s, precinct.id, precinct.code, "staff", "explained")
    uow.after_commit(uow.jobs.results_changed)
    return sub
