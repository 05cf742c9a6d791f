"""Outbound SMS: an outbox row first, then a job that hands it to the sender."""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TypeGuard

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from hotline.db import UnitOfWork
from hotline.models import InboundMessage, OutboundMessage, utcnow
from hotline.runtime import Runtime
from hotline.sending_rate import segments
from hotline.services import backlog
from hotline.services import log as vlog
from hotline.twilio_api import SendError

logger = logging.getLogger(__name__)

READY = ("queued", "retrying")


# A plain INSERT ... RETURNING: nearly every text queues a reply, and the ORM's unit of work
# for one new row cost more than the row itself.
OUTBOX = OutboundMessage.__table__
OUTBOX_INSERT = insert(OUTBOX).returning(OUTBOX.c.id)
# The sending path in plain statements too: at the peak every text costs a read and two short
# write transactions here, and on SQLite the writes queue behind the webhooks' for the one lock.
_READY_ROW = and_(OUTBOX.c.id == bindparam("oid"), OUTBOX.c.status.in_(READY), OUTBOX.c.twilio_sid.is_(None))
_TO_SEND = select(OUTBOX.c.to_number, OUTBOX.c.body).where(_READY_ROW)
_CLAIM = update(OUTBOX).where(_READY_ROW).values(
    status="sending", attempts=OUTBOX.c.attempts + 1, claimed_at=bindparam("now"))
_RECORD = update(OUTBOX).where(OUTBOX.c.id == bindparam("oid")).values(
    status=bindparam("status"), twilio_sid=bindparam("sid"), sent_at=bindparam("now"))


def queue_sms(uow: UnitOfWork, rt: Runtime, to: str, body: str, kind: str, *, priority: int = 1,
              precinct_id: int | None = None, inbound_id: int | None = None) -> int:
    """Write the message to the outbox table and send it once the transaction commits; its id."""
    msg_id: int = uow.session.execute(OUTBOX_INSERT, {
        "to_number": to, "body": body, "kind": kind, "priority": priority, "status": "queued",
        "precinct_id": precinct_id, "inbound_id": inbound_id}).scalar_one()
    # No row update after enqueueing: the sweeper re-queues rows still "queued" after a while.
    uow.after_commit(lambda: rt.queues.send(msg_id, priority, fresh=True))
    return msg_id


def on_its_way(msg: OutboundMessage) -> bool:
    """Not yet handed to Twilio (or to the outbox): sending it again would only add a copy."""
    return _ready(msg) or _unfinished(msg)


# Replies to the texts from one phone that made one submission (the outbox is searched by the
# text each reply answers, not scanned).
REPLIES_TO_SUBMISSION = (select(OutboundMessage)
                         .join(InboundMessage, InboundMessage.id == OutboundMessage.inbound_id)
                         .where(InboundMessage.from_number == bindparam("sender"),
                                InboundMessage.submission_id == bindparam("submission_id"),
                                OutboundMessage.kind.in_(bindparam("kinds", expanding=True)))
                         .order_by(OutboundMessage.id.desc()))


def latest_by_kind(s: Session, sender: str, submission_id: int, kinds: tuple[str, ...]) -> list[OutboundMessage]:
    """The newest message of each kind sent in answer to the texts that made this submission."""
    rows = s.execute(REPLIES_TO_SUBMISSION, {"sender": sender, "submission_id": submission_id,
                                             "kinds": list(kinds)}).scalars()
    newest: dict[str, OutboundMessage] = {}
    for row in rows:
        newest.setdefault(row.kind, row)
    return sorted(newest.values(), key=lambda row: row.id)


# Pauses before trying again within the same job when Twilio answered with a retryable error
# (429, 5xx). A job retried through RQ goes to the back of its queue, which at the peak is a
# minute long: two quick tries first keep a read-back from waiting that minute several times.
QUICK_RETRY_PAUSES = (0.25, 1.0)


def deliver(rt: Runtime, outbound_id: int) -> str:
    """Send one outbox row; raise on a retryable failure so RQ tries again."""
    with rt.db.reading() as session:  # the claim below re-checks under the write lock
        row = session.execute(_TO_SEND, {"oid": outbound_id}).first()
    if row is None:
        return "skipped"
    to, body = row.to_number, row.body
    for pause in (*QUICK_RETRY_PAUSES, None):
        try:
            return _attempt(rt, outbound_id, to, body)
        except SendError as exc:
            _failed(rt, outbound_id, exc)
            if not exc.retryable:
                return "failed"
            # A timeout (no code) may still have gone out: leave it to the slower RQ retry.
            if pause is None or exc.code is None:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def _attempt(rt: Runtime, outbound_id: int, to: str, body: str) -> str:
    """Wait for a sending number's slot, claim the row, hand it to the sender, record the answer."""
    routes = rt.sender.routes()
    route = routes[0]
    if rt.rate is not None:
        # Sender workers wait here for a number's next slot; queue order put confirmations first.
        route = rt.rate.acquire_any(routes, segments(body))
    with rt.db.transaction() as uow:
        if uow.session.execute(_CLAIM, {"oid": outbound_id, "now": utcnow()}).rowcount != 1:
            return "skipped"  # another worker got there while this one waited
    callback = f"{rt.config.public_base_url}/twilio/status" if rt.config.public_base_url else None
    sent = rt.sender.send(to, body, callback, route)
    with rt.db.transaction() as uow:
        uow.session.execute(_RECORD, {"oid": outbound_id, "status": sent.status, "sid": sent.sid, "now": utcnow()})
    return sent.status


def settle(rt: Runtime, outbound_id: int) -> str:
    """A text claimed for sending whose worker never said how it went (killed mid-send, or the
    database was down when Twilio answered): ask Twilio, then record it or send it again.

    Only for claims older than any live send can take (the client's timeout is 5 s). Twilio lists
    a message once it has left its own queue; a text still queued there would be sent twice,
    which a chair can tell apart (the same words) far better than a text never sent.
    """
    with rt.db.reading() as session:
        msg = session.get(OutboundMessage, outbound_id)
        if not _unfinished(msg):
            return "skipped"
        to, body, since = msg.to_number, msg.body, msg.claimed_at or msg.created_at
    try:
        found = rt.sender.find_sent(to, body, since - timedelta(minutes=1))
    except SendError as exc:
        logger.warning("could not ask Twilio about unfinished send %s: %s", outbound_id, exc)
        return "unknown"
    with rt.db.transaction() as uow:
        msg = uow.session.get(OutboundMessage, outbound_id)
        if not _unfinished(msg):
            return "skipped"
        if found is not None:
            msg.status, msg.twilio_sid, msg.sent_at = found.status, found.sid, utcnow()
        else:
            msg.status, priority = "retrying", msg.priority
            uow.after_commit(lambda: rt.queues.send(outbound_id, priority, revive=True))
        outcome = "found" if found is not None else "resent"
        vlog.record(uow.session, "sms_send_settled", phone=msg.to_number, outbound_id=msg.id, outcome=outcome)
    logger.warning("send %s was left unfinished: %s", outbound_id,
                   "Twilio had it, recorded" if found is not None else "Twilio never had it, sending it again")
    return outcome


def _ready(msg: OutboundMessage | None) -> TypeGuard[OutboundMessage]:
    # Twilio calls a message it accepted "queued" too: once it has a Twilio SID it is never sent
    # again. _READY_ROW is the same rule in SQL.
    return msg is not None and msg.status in READY and msg.twilio_sid is None


def _unfinished(msg: OutboundMessage | None) -> TypeGuard[OutboundMessage]:
    # Claimed by a sender that has not (yet) recorded Twilio's answer.
    return msg is not None and msg.status == "sending" and msg.twilio_sid is None


def _failed(rt: Runtime, outbound_id: int, exc: SendError) -> None:
    logger.warning("send %s failed (code %s, retryable=%s): %s", outbound_id, exc.code,
                   exc.retryable, exc)
    with rt.db.transaction() as uow:
        msg = uow.session.get(OutboundMessage, outbound_id)
        assert msg is not None
        msg.error_code, msg.error_message = exc.code, str(exc)
        msg.status = "retrying" if exc.retryable else "failed"
        if not exc.retryable:
            vlog.record(uow.session, "sms_send_failed", phone=msg.to_number,
                        outbound_id=msg.id, code=exc.code, error=str(exc))
            backlog.open_item(uow.session, "delivery_failure", phone=msg.to_number,
                              precinct_id=msg.precinct_id,
                              summary=f"Could not text {msg.to_number}: {exc} (Twilio {exc.code})",
                              detail={"outbound_id": msg.id, "body": msg.body})
