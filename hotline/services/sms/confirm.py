"""YES <code>: the chair confirms the read-back the code belongs to."""
from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy import bindparam, select

from hotline.adapters.models import ConfirmationCode, Submission
from hotline.domain import lifecycle
from hotline.domain.lifecycle import SubmissionStatus
from hotline.domain.model import Stage
from hotline.domain.parsing import Confirm
from hotline.domain.verification import CodeCheck, check_code, hash_code
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, checking, reports
from hotline.services.sms.message import Answer, Incoming, Reply, say
from hotline.services.units import UnitOfWork

# This phone's read-backs of the last hour that a newer one replaced or that were confirmed.
EARLIER_CODES = (select(ConfirmationCode.code_hash, Submission)
                 .join(Submission, Submission.id == ConfirmationCode.submission_id)
                 .where(Submission.confirm_phone == bindparam("phone"),
                        Submission.status.in_(tuple(lifecycle.EXPLAINED_CODES)),
                        Submission.created_at >= bindparam("since")))


def handle(uow: UnitOfWork, text: Incoming, parsed: Confirm) -> Answer:
    """Confirm the pending report the code belongs to, or say plainly why not."""
    s, cfg, code = uow.session, uow.config, parsed.code
    pending = reports.pending_for_phone(s, text.phone)
    if not pending:
        used = _earlier_code(uow, text, code) if code else None
        if used is not None and used.status == SubmissionStatus.CONFIRMED:
            return _already_used(uow, text, used, waiting=False)  # YES sent twice, or a late copy answered
        return say("nothing_pending", replies.NOTHING_PENDING)
    if not code:
        return say("need_code", replies.NEED_CODE)
    verdicts = []
    for sub in pending:
        row = reports.active_code(s, sub.id)
        if row is None:
            continue
        verdict = check_code(code, reports.code_state(row), cfg.secret_key, text.now, cfg.code_max_attempts)
        if verdict is CodeCheck.OK:
            row.used_at = text.now
            chain.record(s, "code_checked", precinct=sub.precinct.code, phone=text.phone, ok=True,
                         submission_id=sub.id)
            return _confirmed(uow, text, sub)
        verdicts.append((sub, row, verdict))
    # An honest mix-up, not a guess: neither counts as a wrong try against the pending code.
    earlier = _earlier_code(uow, text, code)
    if earlier is not None and earlier.status == SubmissionStatus.REPLACED:
        return say("code_replaced", replies.CODE_REPLACED)
    if earlier is not None:
        return _already_used(uow, text, earlier, waiting=True)
    return _not_confirmed(uow, text, verdicts)


def _earlier_code(uow: UnitOfWork, text: Incoming, code: str) -> Submission | None:
    """The replaced or already confirmed read-back (last hour, this phone) that `code` came from."""
    hashed = hash_code(code.strip(), uow.config.secret_key)
    rows = uow.session.execute(EARLIER_CODES, {"phone": text.phone, "since": text.now - timedelta(hours=1)})
    return next((sub for code_hash, sub in rows if hmac.compare_digest(code_hash, hashed)), None)


def _already_used(uow: UnitOfWork, text: Incoming, sub: Submission, waiting: bool) -> Answer:
    """A code that already confirmed its report: say so, rather than "wrong" or "nothing pending"."""
    chain.record(uow.session, "code_checked", precinct=sub.precinct.code, phone=text.phone, ok=False,
                 submission_id=sub.id, reason="already used")
    stages = [Stage(r.stage) for r in sub.reports]
    return say("code_already_used", replies.code_already_used(sub.precinct.code, stages, waiting))


def _confirmed(uow: UnitOfWork, text: Incoming, sub: Submission) -> Answer:
    confirmed = reports.confirm(uow, sub, actor=text.phone)
    flagged = checking.chair_warning(confirmed.findings) if sub.flagged else ""
    body = replies.recorded(sub.precinct.code, [Stage(r.stage) for r in sub.reports], confirmed.missing,
                            flagged=flagged)
    return Answer("confirmed", (Reply(body, "recorded", precinct_id=sub.precinct_id),))


def _not_confirmed(uow: UnitOfWork, text: Incoming, verdicts: list) -> Answer:
    s, cfg = uow.session, uow.config
    live = [(sub, row) for sub, row, v in verdicts if v is CodeCheck.WRONG]
    if not live:
        for sub, _row, verdict in verdicts:
            if verdict is CodeCheck.EXPIRED:
                reports.void(sub, SubmissionStatus.EXPIRED)
        chain.record(s, "code_checked", phone=text.phone, ok=False, reason="expired or locked")
        return say("code_expired", replies.CODE_EXPIRED)
    left = cfg.code_max_attempts
    for sub, row in live:
        tried = lifecycle.wrong_code(row.attempts, cfg.code_max_attempts)
        row.attempts, left = tried.attempts, min(left, tried.left)
        chain.record(s, "code_checked", precinct=sub.precinct.code, phone=text.phone, ok=False,
                     submission_id=sub.id, attempts=row.attempts)
        if tried.locked:
            reports.void(sub, SubmissionStatus.LOCKED)
            backlog.open_item(s, "code_lockout", precinct_id=sub.precinct_id, phone=text.phone,
                              submission_id=sub.id, dedupe_key=f"codelock:{sub.id}",
                              summary=f"{sub.precinct.code}: report not confirmed after "
                                      f"{row.attempts} wrong codes from {text.phone}")
    if left <= 0:
        return say("code_locked", replies.CODE_LOCKED)
    return say("wrong_code", replies.WRONG_CODE.format(left=replies.tries(left)))
