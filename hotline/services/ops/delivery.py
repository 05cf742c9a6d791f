"""Sending the outbox: hand each row to Twilio at the numbers' rate, settle unfinished sends,
and record the delivery callbacks Twilio sends back."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from hotline.adapters.models import DeliveryStatus, OutboundMessage, PhoneOptOut, utcnow
from hotline.adapters.sending_rate import SendingRate, segments
from hotline.adapters.twilio_sms import Sender, SendError
from hotline.domain.texts import mask
from hotline.services.log import chain
from hotline.services.records import backlog, opt_outs
from hotline.services.records.outbox import OUTBOX, READY_ROW, unfinished
from hotline.services.units import Units

logger = logging.getLogger(__name__)

# The sending path in plain statements too: at the peak every text costs a read and two short
# write transactions here, and on SQLite the writes queue behind the webhooks' for the one lock.
# Whether the phone opted out rides along with the row: suppressing costs no extra round trip.
_OPTED_OUT = (select(PhoneOptOut.opted_out).where(PhoneOptOut.phone == OUTBOX.c.to_number)
              .scalar_subquery())
_TO_SEND = select(OUTBOX.c.to_number, OUTBOX.c.body, _OPTED_OUT.label("opted_out")).where(READY_ROW)
OPTED_OUT = "opted_out"  # the status of a row never sent because its phone opted out
_SUPPRESS = update(OUTBOX).where(READY_ROW).values(status=OPTED_OUT)
_CLAIM = update(OUTBOX).where(READY_ROW).values(
    status="sending", attempts=OUTBOX.c.attempts + 1, claimed_at=bindparam("now"))
_RECORD = update(OUTBOX).where(OUTBOX.c.id == bindparam("oid")).values(
    status=bindparam("status"), twilio_sid=bindparam("sid"), sent_at=bindparam("now"))

# Pauses before trying again within the same job when Twilio answered with a retryable error
# (429, 5xx). A job retried through RQ goes to the back of its queue, which at the peak is a
# minute long: two quick tries first keep a read-back from waiting that minute several times.
QUICK_RETRY_PAUSES = (0.25, 1.0)


def deliver(units: Units, sender: Sender, rate: SendingRate | None, outbound_id: int) -> str:
    """Send one outbox row; raise on a retryable failure so RQ tries again."""
    with units.reading() as session:  # the claim below re-checks under the write lock
        row = session.execute(_TO_SEND, {"oid": outbound_id}).first()
    if row is None:
        return "skipped"
    to, body = row.to_number, row.body
    if row.opted_out:  # never sent, never retried: the phone said STOP
        with units.begin() as uow:
            done = uow.session.execute(_SUPPRESS, {"oid": outbound_id}).rowcount == 1
        logger.info("send %s to %s suppressed: the phone opted out", outbound_id, mask(to))
        return OPTED_OUT if done else "skipped"
    for pause in (*QUICK_RETRY_PAUSES, None):
        try:
            return _attempt(units, sender, rate, outbound_id, to, body)
        except SendError as exc:
            status = _failed(units, outbound_id, exc)
            if not exc.retryable:
                return status
            # A timeout (no code) may still have gone out: leave it to the slower RQ retry.
            if pause is None or exc.code is None:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def _attempt(units: Units, sender: Sender, rate: SendingRate | None, outbound_id: int, to: str,
             body: str) -> str:
    """Wait for a sending number's slot, claim the row, hand it to the sender, record the answer."""
    routes = sender.routes()
    route = routes[0]
    if rate is not None:
        # Sender workers wait here for a number's next slot; queue order put confirmations first.
        route = rate.acquire_any(routes, segments(body))
    with units.begin() as uow:
        if uow.session.execute(_CLAIM, {"oid": outbound_id, "now": utcnow()}).rowcount != 1:
            return "skipped"  # another worker got there while this one waited
    base = units.config.public_base_url
    sent = sender.send(to, body, f"{base}/twilio/status" if base else None, route)
    with units.begin() as uow:
        uow.session.execute(_RECORD, {"oid": outbound_id, "status": sent.status, "sid": sent.sid, "now": utcnow()})
    return sent.status


def settle(units: Units, sender: Sender, outbound_id: int) -> str:
    """A text claimed for sending whose worker never said how it went (killed mid-send, or the
    database was down when Twilio answered): ask Twilio, then record it or send it again.

    Only for claims older than any live send can take (the client's timeout is 5 s). Twilio lists
    a message once it has left its own queue; a text still queued there would be sent twice,
    which a chair can tell apart (the same words) far better than a text never sent.
    """
    with units.reading() as session:
        msg = session.get(OutboundMessage, outbound_id)
        if not unfinished(msg):
            return "skipped"
        to, body, since = msg.to_number, msg.body, msg.claimed_at or msg.created_at
    try:
        found = sender.find_sent(to, body, since - timedelta(minutes=1))
    except SendError as exc:
        logger.warning("could not ask Twilio about unfinished send %s: %s", outbound_id, exc)
        return "unknown"
    with units.begin() as uow:
        msg = uow.session.get(OutboundMessage, outbound_id)
        if not unfinished(msg):
            return "skipped"
        if found is not None:
            msg.status, msg.twilio_sid, msg.sent_at = found.status, found.sid, utcnow()
        else:
            msg.status, priority = "retrying", msg.priority
            uow.after_commit(lambda: uow.jobs.send(outbound_id, priority, revive=True))
        outcome = "found" if found is not None else "resent"
        chain.record(uow.session, "sms_send_settled", phone=msg.to_number, outbound_id=msg.id, outcome=outcome)
    logger.warning("send %s was left unfinished: %s", outbound_id,
                   "Twilio had it, recorded" if found is not None else "Twilio never had it, sending it again")
    return outcome




def _failed(units: Units, outbound_id: int, exc: SendError) -> str:
    """Record a failed send; the row's new status."""
    logger.warning("send %s failed (code %s, retryable=%s): %s", outbound_id, exc.code,
                   exc.retryable, exc)
    with units.begin() as uow:
        msg = uow.session.get(OutboundMessage, outbound_id)
        assert msg is not None
        msg.error_code, msg.error_message = exc.code, str(exc)
        msg.status = "retrying" if exc.retryable else "failed"
        if str(exc.code) == opt_outs.OPTED_OUT_CODE:  # Twilio: the phone opted out
            msg.status = OPTED_OUT
            chain.record(uow.session, "sms_send_failed", phone=msg.to_number, outbound_id=msg.id,
                         code=exc.code, error=str(exc))
            opt_outs.record(uow.session, msg.to_number, True, opt_outs.TWILIO_21610)
        elif not exc.retryable:
            chain.record(uow.session, "sms_send_failed", phone=msg.to_number,
                        outbound_id=msg.id, code=exc.code, error=str(exc))
            backlog.open_item(uow.session, "delivery_failure", phone=msg.to_number,
                              precinct_id=msg.precinct_id,
                              summary=f"Could not text {msg.to_number}: {exc} (Twilio {exc.code})",
                              detail={"outbound_id": msg.id, "body": msg.body})
        return msg.status


# Callbacks can arrive out of order; a later lifecycle stage never goes back to an earlier one.
RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "failed": 4,
        "undelivered": 4, OPTED_OUT: 4, "delivered": 5, "read": 6}
FAILED = {"failed", "undelivered"}


def record_status(units: Units, sid: str, status: str, error_code: str | None) -> None:
    """Store one callback and move the outbox row forward (never backward)."""
    try:
        _record_status(units, sid, status, error_code)
    except IntegrityError:
        pass  # the same status twice: Twilio retried


def _record_status(units: Units, sid: str, status: str, error_code: str | None) -> None:
    with units.begin() as uow:
        s = uow.session
        s.add(DeliveryStatus(message_sid=sid, status=status, error_code=error_code))
        s.flush()
        msg = s.execute(select(OutboundMessage).where(OutboundMessage.twilio_sid == sid)).scalar_one_or_none()
        if msg is None:
            return
        if RANK.get(status, -1) >= RANK.get(msg.status, -1):
            msg.status = status
        if status in FAILED and error_code == opt_outs.OPTED_OUT_CODE:  # the phone opted out
            msg.status, msg.error_code = OPTED_OUT, error_code
            chain.record(s, "sms_undelivered", phone=msg.to_number, outbound_id=msg.id,
                         status=status, code=error_code)
            opt_outs.record(s, msg.to_number, True, opt_outs.TWILIO_21610)
        elif status in FAILED:
            msg.error_code = error_code
            chain.record(s, "sms_undelivered", phone=msg.to_number, outbound_id=msg.id,
                        status=status, code=error_code)
            backlog.open_item(s, "delivery_failure", phone=msg.to_number, precinct_id=msg.precinct_id,
                              dedupe_key=f"undelivered:{msg.to_number}",
                              summary=f"Text to {msg.to_number} was {status} (Twilio {error_code})",
                              detail={"outbound_id": msg.id, "body": msg.body})
