"""Staff reaching a chair: click-to-call, texts, and a callback code the chair reads out."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.db import UnitOfWork
from hotline.domain.verification import CodeCheck
from hotline.domain.verification import check_code as judge
from hotline.adapters.models import BacklogItem, OutboundMessage, Precinct, StaffUser, Submission, utcnow
from hotline.runtime import Runtime
from hotline.services.log import chain as vlog
from hotline.services.records import outbox as outbound, reports, roster
from hotline.adapters.twilio_calls import Caller, CallError

# A code-only submission: it proves who is on the line and carries no results.
IDENTITY_CHECK = "identity_check"
IDENTITY_VERIFIED = "identity_verified"
SMS_LIMIT = 480  # three segments: staff replies stay short


class ContactError(ValueError):
    """The chair cannot be reached as asked; the message says why in plain words."""


def phones_for(s: Session, precinct: Precinct | None, item: BacklogItem | None = None) -> list[str]:
    """The numbers staff may call or text: the chair's registered phones, then the item's sender."""
    phones = roster.registered_phones(s, precinct) if precinct else []
    if item is not None and item.phone and item.phone not in phones:
        phones.append(item.phone)
    return phones


def _check_phone(phone: str, allowed: list[str]) -> str:
    if phone not in allowed:
        raise ContactError("Pick one of the listed numbers.")
    return phone


def request_call(uow: UnitOfWork, staff: StaffUser, to: str, allowed: list[str],
                 precinct: Precinct | None, item_id: int | None) -> OutboundMessage:
    """Record the call request in the outbox (the bridge reads it); the call is placed after commit."""
    if not staff.phone:
        raise ContactError("Add your own phone number first: the hotline rings you, then the chair.")
    to = _check_phone(to, allowed)
    row = OutboundMessage(to_number=to, kind="call", priority=0, status="requested",
                          precinct_id=precinct.id if precinct else None,
                          body=f"Call from {staff.username} (rings {staff.phone} first) to {to}")
    uow.session.add(row)
    uow.session.flush()
    vlog.record(uow.session, "staff_call_requested", precinct=precinct.code if precinct else None,
                phone=to, actor=staff.username, staff_phone=staff.phone, outbound_id=row.id,
                item_id=item_id)
    return row


def place_call(rt: Runtime, caller: Caller, call_id: int, staff_phone: str, twiml_url: str) -> str:
    """Ring the staff member's phone (Twilio bridges to the chair); returns the outbox status."""
    try:
        placed = caller.call(staff_phone, twiml_url)
        status, sid, error = placed.status, placed.sid, None
    except CallError as exc:
        status, sid, error = "failed", None, str(exc)
    with rt.db.transaction() as uow:
        row = uow.session.get(OutboundMessage, call_id)
        assert row is not None
        row.status, row.twilio_sid, row.error_message = status, sid, error
        row.sent_at = utcnow() if sid else None
    if error:
        raise ContactError(error)
    return status


def send_sms(uow: UnitOfWork, rt: Runtime, staff: str, to: str, body: str, allowed: list[str],
             precinct: Precinct | None) -> int:
    """Text the chair (or the item's sender) from the hotline; the outbox row's id."""
    body = body.strip()
    if not body:
        raise ContactError("Write the text first.")
    if len(body) > SMS_LIMIT:
        raise ContactError(f"Keep texts under {SMS_LIMIT} characters.")
    to = _check_phone(to, allowed)
    msg_id = outbound.queue_sms(uow, rt, to, body, "staff_sms", priority=1,
                                precinct_id=precinct.id if precinct else None)
    vlog.record(uow.session, "staff_sms", precinct=precinct.code if precinct else None, phone=to,
                actor=staff, outbound_id=msg_id, body=body)
    return msg_id


def send_code(uow: UnitOfWork, rt: Runtime, precinct: Precinct, staff: str) -> Submission:
    """Text a one-time code to the chair's registered phone, for the chair to read out to staff."""
    phones = roster.registered_phones(uow.session, precinct)
    if not phones:
        raise ContactError(f"{precinct.code} has no registered phone to send a code to.")
    draft = reports.Draft(precinct=precinct, sections=(), attendance=None, source="staff",
                          sender=staff, confirm_phone=phones[0])
    issued = reports.issue(uow, rt, draft, code_kind="callback")
    # Not a report: the chair's own YES texts must never find it.
    issued.submission.status = IDENTITY_CHECK
    outbound.queue_sms(uow, rt, phones[0],
                       f"Caucus hotline code for {precinct.code}: {issued.code}. Read it to the hotline "
                       "staff member you are speaking with. If nobody from the hotline is, ignore this.",
                       "callback_code", priority=0, precinct_id=precinct.id)
    return issued.submission


@dataclass(frozen=True)
class CodeResult:
    verdict: CodeCheck
    left: int


def check_code(uow: UnitOfWork, rt: Runtime, precinct: Precinct, staff: str, given: str) -> CodeResult:
    """Check the code the person on the line read out against the newest one sent."""
    s, cfg, now = uow.session, rt.config, utcnow()
    sub = s.execute(select(Submission).where(Submission.precinct_id == precinct.id,
                                             Submission.status == IDENTITY_CHECK)
                    .order_by(Submission.id.desc())).scalars().first()
    row = reports.active_code(s, sub.id) if sub else None
    if sub is None or row is None:
        raise ContactError("Send a code first.")
    verdict = judge(given, reports.code_state(row), cfg.secret_key, now, cfg.code_max_attempts)
    if verdict is CodeCheck.OK:
        row.used_at, sub.status = now, IDENTITY_VERIFIED
    elif verdict is CodeCheck.WRONG:
        row.attempts += 1
    vlog.record(s, "code_checked", precinct=precinct.code, phone=row.phone, actor=staff,
                ok=verdict is CodeCheck.OK, verdict=verdict.value, via="staff", submission_id=sub.id,
                attempts=row.attempts)
    return CodeResult(verdict, max(0, cfg.code_max_attempts - row.attempts))


def identity_status(s: Session, precinct: Precinct) -> str | None:
    """"verified" or "sent" for the newest callback code, None when none was sent."""
    sub = s.execute(select(Submission).where(Submission.precinct_id == precinct.id,
                                             Submission.status.in_((IDENTITY_CHECK, IDENTITY_VERIFIED)))
                    .order_by(Submission.id.desc())).scalars().first()
    if sub is None:
        return None
    return "verified" if sub.status == IDENTITY_VERIFIED else "sent"
