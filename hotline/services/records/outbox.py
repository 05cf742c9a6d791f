"""The outbox: every text the hotline sends is a row here first, sent by a job after commit."""
from __future__ import annotations

from typing import TypeGuard

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.orm import Session

from hotline.adapters.models import InboundMessage, OutboundMessage
from hotline.services.units import UnitOfWork

READY = ("queued", "retrying")


# A plain INSERT ... RETURNING: nearly every text queues a reply, and the ORM's unit of work
# for one new row cost more than the row itself.
OUTBOX = OutboundMessage.__table__
OUTBOX_INSERT = insert(OUTBOX).returning(OUTBOX.c.id)
# A row a sender may claim; `ready` is the same rule in Python.
READY_ROW = and_(OUTBOX.c.id == bindparam("oid"), OUTBOX.c.status.in_(READY), OUTBOX.c.twilio_sid.is_(None))


def queue_sms(uow: UnitOfWork, to: str, body: str, kind: str, *, priority: int = 1,
              precinct_id: int | None = None, inbound_id: int | None = None, held: str | None = None) -> int:
    """Write the message to the outbox table and send it once the transaction commits; its id.

    `held`: not to be sent at all; the row is kept with this status (e.g. "loop_held"), for staff.
    """
    msg_id: int = uow.session.execute(OUTBOX_INSERT, {
        "to_number": to, "body": body, "kind": kind, "priority": priority, "status": held or "queued",
        "precinct_id": precinct_id, "inbound_id": inbound_id}).scalar_one()
    if held:
        return msg_id
    # No row update after enqueueing: the sweeper re-queues rows still "queued" after a while.
    uow.after_commit(lambda: uow.jobs.send(msg_id, priority, fresh=True))
    return msg_id


def on_its_way(msg: OutboundMessage) -> bool:
    """Not yet handed to Twilio (or to the outbox): sending it again would only add a copy."""
    return ready(msg) or unfinished(msg)


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


def ready(msg: OutboundMessage | None) -> TypeGuard[OutboundMessage]:
    """Waiting to be handed to Twilio (or to the local outbox)."""
    # Twilio calls a message it accepted "queued" too: once it has a Twilio SID it is never sent
    # again. READY_ROW is the same rule in SQL.
    return msg is not None and msg.status in READY and msg.twilio_sid is None


def unfinished(msg: OutboundMessage | None) -> TypeGuard[OutboundMessage]:
    """Claimed by a sender that has not (yet) recorded Twilio's answer."""
    return msg is not None and msg.status == "sending" and msg.twilio_sid is None
