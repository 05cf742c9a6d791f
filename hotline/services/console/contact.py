"""Staff reaching a chair: click-to-call, texts, and a callback code the chair reads out."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, OutboundMessage, Precinct, Submission, utcnow
from hotline.adapters.twilio_calls import Caller, CallError
from hotline.domain import lifecycle
from hotline.domain.lifecycle import SubmissionStatus
from hotline.domain.verification import CodeCheck
from hotline.domain.verification import check_code as judge
from hotline.domain.wording import sms as replies
from hotline.services.console import accounts, claims
from hotline.services.log import chain as vlog
from hotline.services.records import opt_outs, outbox, reports, roster
from hotline.services.units import UnitOfWork, Units

SMS_LIMIT = 480  # three segments: staff replies stay short


class ContactError(ValueError):
    """The chair cannot be reached as asked; the message says why in plain words."""


class CallFailed(ContactError):
    """The call request was recorded, but Twilio did not place it; dial by hand."""


def phones_for(s: Session, precinct: Precinct | None, item: BacklogItem | None = None) -> list[str]:
    """The numbers staff may call or text: the chair's registered phones, then the item's sender."""
    phones = roster.registered_phones(s, precinct) if precinct else []
    if item is not None and item.phone and item.phone not in phones:
        phones.append(item.phone)
    return phones


def precinct_of(item: BacklogItem) -> Precinct:
    """The item's precinct; ContactError while nobody knows which it is."""
    if item.precinct is None:
        raise ContactError("This item has no precinct yet; call or text the sender to find out which.")
    return item.precinct


def _listed(phone: str, allowed: list[str]) -> str:
    if phone not in allowed:
        raise ContactError("Pick one of the listed numbers.")
    return phone


@dataclass(frozen=True)
class Call:
    """A call request: "outbox" when no Twilio account places it, and the staff phone rung first."""

    status: str
    staff_phone: str


def call(units: Units, caller: Caller, item_id: int, user: str, to: str,
         twiml_url: Callable[[int], str]) -> Call:
    """Ring `user`'s phone, then (through the TwiML at `twiml_url(call id)`) the chair's number `to`."""
    with claims.holding(units, item_id, user) as (uow, item):
        staff = accounts.by_username(uow.session, user)
        if staff is None or not staff.phone:
            raise ContactError("Add your own phone number first: the hotline rings you, then the chair.")
        to = _listed(to, phones_for(uow.session, item.precinct, item))
        row = OutboundMessage(to_number=to, kind="call", priority=0, status="requested",
                              precinct_id=item.precinct_id,
                              body=f"Call from {staff.username} (rings {staff.phone} first) to {to}")
        uow.session.add(row)
        uow.session.flush()
        vlog.record(uow.session, "staff_call_requested", precinct=claims.precinct_code(item), phone=to,
                    actor=staff.username, staff_phone=staff.phone, outbound_id=row.id, item_id=item.id)
        call_id, staff_phone = row.id, staff.phone
    # The request is committed first: the bridge Twilio calls back looks it up.
    return Call(_place(units, caller, call_id, staff_phone, twiml_url(call_id)), staff_phone)


def _place(units: Units, caller: Caller, call_id: int, staff_phone: str, twiml_url: str) -> str:
    """Ask Twilio to ring the staff phone (outside any transaction: it may take seconds)."""
    try:
        placed = caller.call(staff_phone, twiml_url)
        status, sid, error = placed.status, placed.sid, None
    except CallError as exc:
        status, sid, error = "failed", None, str(exc)
    with units.begin() as uow:
        row = uow.session.get(OutboundMessage, call_id)
        assert row is not None
        row.status, row.twilio_sid, row.error_message = status, sid, error
        row.sent_at = utcnow() if sid else None
    if error:
        raise CallFailed(error)
    return status


def bridge(units: Units, call_id: int) -> str | None:
    """The number to connect an answered staff phone to; None for no such call request."""
    with units.begin() as uow:
        row = uow.session.get(OutboundMessage, call_id)
        if row is None or row.kind != "call":
            return None
        vlog.record(uow.session, "staff_call_bridged", phone=row.to_number, outbound_id=row.id)
        row.status = "bridged"
        return row.to_number


def text(units: Units, item_id: int, user: str, to: str, body: str) -> int:
    """Text the chair (or the item's sender) from the hotline; the outbox row's id."""
    body = body.strip()
    with claims.holding(units, item_id, user) as (uow, item):
        if not body:
            raise ContactError("Write the text first.")
        if len(body) > SMS_LIMIT:
            raise ContactError(f"Keep texts under {SMS_LIMIT} characters.")
        to = _listed(to, phones_for(uow.session, item.precinct, item))
        if opt_outs.is_opted_out(uow.session, to):
            raise ContactError("This phone opted out of texts (STOP): nothing can be texted to it. "
                               "Call instead.")
        msg_id = outbox.queue_sms(uow, to, body, "staff_sms", priority=1, precinct_id=item.precinct_id)
        vlog.record(uow.session, "staff_sms", precinct=claims.precinct_code(item), phone=to, actor=user,
                    outbound_id=msg_id, body=body)
        return msg_id


def send_code(units: Units, item_id: int, user: str) -> str:
    """Text a one-time code to the chair's registered phone, for the chair to read out; that phone."""
    with claims.holding(units, item_id, user) as (uow, item):
        return _send_code(uow, precinct_of(item), user)


def _send_code(uow: UnitOfWork, precinct: Precinct, staff: str) -> str:
    phones = roster.registered_phones(uow.session, precinct)
    if not phones:
        raise ContactError(f"{precinct.code} has no registered phone to send a code to.")
    draft = reports.Draft(precinct=precinct, sections=(), attendance=None, source="staff",
                          sender=staff, confirm_phone=phones[0])
    issued = reports.issue(uow, draft, code_kind="callback")
    # A code-only submission, not a report: the chair's own YES texts must never find it.
    issued.submission.status = SubmissionStatus.IDENTITY_CHECK.value
    outbox.queue_sms(uow, phones[0], replies.identity_code(precinct.code, issued.code), "callback_code",
                     priority=0, precinct_id=precinct.id)
    return phones[0]


@dataclass(frozen=True)
class CodeResult:
    verdict: CodeCheck
    left: int


def check_code(units: Units, item_id: int, user: str, given: str) -> CodeResult:
    """Check the code the person on the line read out against the newest one sent.

    A wrong code is a result, not an error: the counted try and its log entry must commit.
    """
    with claims.holding(units, item_id, user) as (uow, item):
        return _check_code(uow, precinct_of(item), user, given)


def _check_code(uow: UnitOfWork, precinct: Precinct, staff: str, given: str) -> CodeResult:
    s, cfg, now = uow.session, uow.config, utcnow()
    sub = s.execute(select(Submission).where(Submission.precinct_id == precinct.id,
                                             Submission.status == SubmissionStatus.IDENTITY_CHECK.value)
                    .order_by(Submission.id.desc())).scalars().first()
    row = reports.active_code(s, sub.id) if sub else None
    if sub is None or row is None:
        raise ContactError("Send a code first.")
    verdict = judge(given, reports.code_state(row), cfg.secret_key, now, cfg.code_max_attempts)
    if verdict is CodeCheck.OK:
        row.used_at, sub.status = now, SubmissionStatus.IDENTITY_VERIFIED.value
    elif verdict is CodeCheck.WRONG:
        row.attempts = lifecycle.wrong_code(row.attempts, cfg.code_max_attempts).attempts
    vlog.record(s, "code_checked", precinct=precinct.code, phone=row.phone, actor=staff,
                ok=verdict is CodeCheck.OK, verdict=verdict.value, via="staff", submission_id=sub.id,
                attempts=row.attempts)
    return CodeResult(verdict, max(0, cfg.code_max_attempts - row.attempts))


def identity_status(s: Session, precinct: Precinct) -> str | None:
    """"verified" or "sent" for the newest callback code, None when none was sent."""
    sub = s.execute(select(Submission).where(Submission.precinct_id == precinct.id, Submission.status.in_(
        (SubmissionStatus.IDENTITY_CHECK.value, SubmissionStatus.IDENTITY_VERIFIED.value)))
                    .order_by(Submission.id.desc())).scalars().first()
    if sub is None:
        return None
    return "verified" if sub.status == SubmissionStatus.IDENTITY_VERIFIED else "sent"
