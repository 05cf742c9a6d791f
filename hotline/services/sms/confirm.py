"""YES <code>: the chair confirms the read-back the code belongs to."""
from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy import bindparam, select

from hotline.domain import replies
from hotline.domain.model import Stage
from hotline.domain.verification import CodeCheck, check_code, hash_code
from hotline.adapters.models import ConfirmationCode, Submission, utcnow
from hotline.services.records import backlog, checking, reports
from hotline.services.log import chain as vlog
from hotline.services.sms.context import Ctx



def confirm_by_code(ctx: Ctx, code: str | None) -> str:
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


def _earlier_code(ctx: Ctx, code: str) -> Submission | None:
    """The replaced or already confirmed read-back (last hour, this phone) that `code` came from."""
    hashed = hash_code(code.strip(), ctx.rt.config.secret_key)
    rows = ctx.uow.session.execute(EARLIER_CODES, {"phone": ctx.phone, "since": ctx.now - timedelta(hours=1)})
    return next((sub for code_hash, sub in rows if hmac.compare_digest(code_hash, hashed)), None)


def _already_used(ctx: Ctx, sub: Submission, waiting: bool) -> str:
    """A code that already confirmed its report: say so, rather than "wrong" or "nothing pending"."""
    stages = [Stage(r.stage) for r in sub.reports]
    ctx.reply(replies.code_already_used(sub.precinct.code, stages, waiting), "code_already_used")
    vlog.record(ctx.uow.session, "code_checked", precinct=sub.precinct.code, phone=ctx.phone, ok=False,
                submission_id=sub.id, reason="already used")
    return "code_already_used"


def _confirmed(ctx: Ctx, sub: Submission) -> str:
    confirmed = reports.confirm(ctx.uow, ctx.rt, sub, actor=ctx.phone)
    flagged = checking.chair_warning(confirmed.findings) if sub.flagged else ""
    ctx.reply(replies.recorded(sub.precinct.code, [Stage(r.stage) for r in sub.reports], confirmed.missing,
                               flagged=flagged), "recorded", precinct=sub.precinct)
    return "confirmed"


def _not_confirmed(ctx: Ctx, verdicts: list) -> str:
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
