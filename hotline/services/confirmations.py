"""Texts that act on what is already there: YES + code, CANCEL, STATUS, DONE."""
from __future__ import annotations

import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, or_, select

from hotline.domain import replies
from hotline.domain.model import Stage
from hotline.domain.verification import CodeCheck, check_code, hash_code
from hotline.models import ConfirmationCode, Submission, utcnow
from hotline.services import backlog, checking, reports
from hotline.services import log as vlog

if TYPE_CHECKING:
    from hotline.services.inbound import Ctx


def confirm_by_code(ctx: "Ctx", code: str | None) -> str:
    """YES <code>: confirm the pending report the code belongs to."""
    s, cfg = ctx.uow.session, ctx.rt.config
    pending = reports.pending_for_phone(s, ctx.phone)
    if not pending:
        used = _earlier_code(ctx, code) if code else None
        if used is not None and used.status == "confirmed":
            return _already_used(ctx, used, waiting=False)  # YES sent twice, or a late copy answered
        ctx.reply(replies.NOTHING_PENDING, "nothing_pending")
        return "nothing_pending"
    if not code:
        ctx.reply(replies.NEED_CODE, "need_code")
        return "need_code"
    verdicts = []
    for sub in pending:
        row = reports.active_code(s, sub.id)
        if row is None:
            continue
        verdict = check_code(code, reports.code_state(row), cfg.secret_key, ctx.now, cfg.code_max_attempts)
        if verdict is CodeCheck.OK:
            row.used_at = ctx.now
            vlog.record(s, "code_checked", precinct=sub.precinct.code, phone=ctx.phone, ok=True,
                        submission_id=sub.id)
            return _confirmed(ctx, sub)
        verdicts.append((sub, row, verdict))
    # An honest mix-up, not a guess: neither counts as a wrong try against the pending code.
    earlier = _earlier_code(ctx, code)
    if earlier is not None and earlier.status == "replaced":
        ctx.reply(replies.CODE_REPLACED, "code_replaced")
        return "code_replaced"
    if earlier is not None:
        return _already_used(ctx, earlier, waiting=True)
    return _not_confirmed(ctx, verdicts)


# This phone's read-backs of the last hour that a newer one replaced or that were confirmed.
EARLIER_CODES = (select(ConfirmationCode.code_hash, Submission)
                 .join(Submission, Submission.id == ConfirmationCode.submission_id)
                 .where(Submission.confirm_phone == bindparam("phone"),
                        Submission.status.in_(("replaced", "confirmed")),
                        Submission.created_at >= bindparam("since")))


def _earlier_code(ctx: "Ctx", code: str) -> Submission | None:
    """The replaced or already confirmed read-back (last hour, this phone) that `code` came from."""
    hashed = hash_code(code.strip(), ctx.rt.config.secret_key)
    rows = ctx.uow.session.execute(EARLIER_CODES, {"phone": ctx.phone, "since": ctx.now - timedelta(hours=1)})
    return next((sub for code_hash, sub in rows if hmac.compare_digest(code_hash, hashed)), None)


def _already_used(ctx: "Ctx", sub: Submission, waiting: bool) -> str:
    """A code that already confirmed its report: say so, rather than "wrong" or "nothing pending"."""
    stages = [Stage(r.stage) for r in sub.reports]
    ctx.reply(replies.code_already_used(sub.precinct.code, stages, waiting), "code_already_used")
    vlog.record(ctx.uow.session, "code_checked", precinct=sub.precinct.code, phone=ctx.phone, ok=False,
                submission_id=sub.id, reason="already used")
    return "code_already_used"


def _confirmed(ctx: "Ctx", sub: Submission) -> str:
    confirmed = reports.confirm(ctx.uow, ctx.rt, sub, actor=ctx.phone)
    flagged = checking.chair_warning(confirmed.findings) if sub.flagged else ""
    ctx.reply(replies.recorded(sub.precinct.code, [Stage(r.stage) for r in sub.reports], confirmed.missing,
                               flagged=flagged), "recorded", precinct=sub.precinct)
    return "confirmed"


def _not_confirmed(ctx: "Ctx", verdicts: list) -> str:
    s, cfg = ctx.uow.session, ctx.rt.config
    live = [(sub, row) for sub, row, v in verdicts if v is CodeCheck.WRONG]
    if not live:
        for sub, _row, verdict in verdicts:
            if verdict is CodeCheck.EXPIRED:
                sub.status = "expired"
        ctx.reply(replies.CODE_EXPIRED, "code_expired")
        vlog.record(s, "code_checked", phone=ctx.phone, ok=False, reason="expired or locked")
        return "code_expired"
    left = cfg.code_max_attempts
    for sub, row in live:
        row.attempts += 1
        left = min(left, cfg.code_max_attempts - row.attempts)
        vlog.record(s, "code_checked", precinct=sub.precinct.code, phone=ctx.phone, ok=False,
                    submission_id=sub.id, attempts=row.attempts)
        if row.attempts >= cfg.code_max_attempts:
            sub.status = "locked"
            backlog.open_item(s, "code_lockout", precinct_id=sub.precinct_id, phone=ctx.phone,
                              submission_id=sub.id, dedupe_key=f"codelock:{sub.id}",
                              summary=f"{sub.precinct.code}: report not confirmed after "
                                      f"{row.attempts} wrong codes from {ctx.phone}")
    if left <= 0:
        ctx.reply(replies.CODE_LOCKED, "code_locked")
        return "code_locked"
    ctx.reply(replies.WRONG_CODE.format(left=replies.tries(left)), "wrong_code")
    return "wrong_code"


def cancel(ctx: "Ctx") -> str:
    """CANCEL: drop this phone's unconfirmed reports."""
    s = ctx.uow.session
    subs = list(s.execute(select(Submission).where(
        or_(Submission.sender == ctx.phone, Submission.confirm_phone == ctx.phone),
        Submission.status == reports.AWAITING)).scalars())
    if not subs:
        ctx.reply(replies.NOTHING_TO_CANCEL, "nothing_to_cancel")
        return "nothing_to_cancel"
    for sub in subs:
        reports.void(sub, "cancelled")
        vlog.record(s, "report_cancelled", precinct=sub.precinct.code, phone=ctx.phone,
                    submission_id=sub.id)
    codes = ", ".join(sorted({sub.precinct.code for sub in subs}))
    ctx.reply(replies.CANCELLED.format(code=codes), "cancelled")
    return "cancelled"


def status(ctx: "Ctx") -> str:
    """STATUS: what is recorded (and waiting) for this phone's precincts."""
    s = ctx.uow.session
    if not ctx.registered:
        ctx.reply(replies.UNREGISTERED, "unregistered", priority=1)
        return "status_unregistered"
    texts = []
    for precinct in ctx.registered:
        current = reports.current_reports(s, precinct.id)
        lines = []
        for stage in Stage:
            rep = current.get(stage)
            lines.append(f"{stage.label}: {replies.format_counts(rep.counts)}." if rep
                         else f"{stage.label}: not yet.")
        waiting = reports.pending_count(s, ctx.phone, precinct.id)
        if waiting:
            lines.append(f"{waiting} report(s) waiting for your YES code.")
        texts.append(replies.status(precinct.code, lines))
    ctx.reply("\n".join(texts), "status", priority=1)
    return "status"


def done(ctx: "Ctx") -> str:
    """DONE: the chair says the report is complete; check that all three stages are in."""
    s = ctx.uow.session
    if not ctx.registered:
        ctx.reply(replies.UNREGISTERED, "unregistered", priority=1)
        return "done_unregistered"
    parts = []
    for precinct in ctx.registered:
        precinct.chair_done_at = utcnow()
        missing = reports.missing_stages(s, precinct.id)
        findings = checking.current(s, precinct)
        vlog.record(s, "chair_done", precinct=precinct.code, phone=ctx.phone,
                    missing=[m.value for m in missing], findings=[f.code for f in findings])
        waiting = [p for p in reports.pending_for_phone(s, ctx.phone) if p.precinct_id == precinct.id]
        if waiting:
            parts.append(f"{precinct.code}: a read-back is still waiting for your YES and its code.")
        if missing:
            parts.append(f"{precinct.code} is missing: {', '.join(m.label.lower() for m in missing)}. "
                         "Please send it.")
        else:
            parts.append(f"{precinct.code}: all three stages are recorded. Thank you!")
    ctx.reply(" ".join(parts), "done", priority=1)
    return "done"


def call_me(ctx: "Ctx") -> str:
    """CALL: the chair wants a person; a call-back item goes to the top of the staff queue."""
    s = ctx.uow.session
    precinct = ctx.registered[0] if len(ctx.registered) == 1 else None
    backlog.open_item(s, "callback_request", phone=ctx.phone, precinct_id=precinct.id if precinct else None,
                      dedupe_key=f"callme:{ctx.phone}", priority=None if ctx.registered else 2,
                      summary=f"{'Chair of ' + precinct.code if precinct else 'Caller'} {ctx.phone} "
                              "asked by text for a call back")
    vlog.record(s, "callback_requested", precinct=precinct.code if precinct else None, phone=ctx.phone,
                channel="sms")
    ctx.reply(replies.CALL_BACK.format(tail=ctx.phone[-4:]), "call_back", priority=0 if ctx.registered else 1)
    return "call_back"
