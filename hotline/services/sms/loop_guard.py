"""The loop guard: no automatic replies to a phone whose texts answer ours like a bot.

Checked once per text, just before its replies go to the outbox (`process.py`). The rule itself is
`domain/reply_loop.py`; the history it reads is the inbox and outbox rows already stored. Once a
loop is found, the phone gets no automatic reply for `reply_loop_hold_seconds`, and one
`reply_loop` item tells staff (resolving it ends the pause). Its texts are still stored and
handled as usual (a report still counts once confirmed); staff can still text it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select

from hotline.adapters.models import BacklogItem, InboundMessage, OutboundMessage
from hotline.domain import reply_loop
from hotline.domain.texts import mask, redact
from hotline.services.log import chain
from hotline.services.records import backlog
from hotline.services.sms.message import Answer, Incoming
from hotline.services.units import UnitOfWork

logger = logging.getLogger(__name__)

HELD = "loop_held"  # the outbox status of a reply the guard kept back
# Texts the hotline could not act on: only these can be part of a loop, so a chair's reports,
# codes and commands never count. (A number not on the roster is answered 3 times an hour at most
# already: `authorise.py`.)
LOOP_PRONE = frozenset({"parse_error", "chatter", "nothing_pending", "need_code",
                        "nothing_to_cancel", "photo_alone", "help", "which_precinct", "pin_needed",
                        "status_unregistered", "done_unregistered"})
HISTORY = 50  # texts and replies looked at, at most (the window is minutes long)

_TEXTS = (select(InboundMessage.id, InboundMessage.received_at, InboundMessage.body, InboundMessage.outcome)
          .where(InboundMessage.from_number == bindparam("phone"), InboundMessage.channel == "sms",
                 InboundMessage.received_at >= bindparam("since"), InboundMessage.id <= bindparam("upto"))
          .order_by(InboundMessage.id.desc()).limit(HISTORY))
_REPLIES = (select(func.coalesce(OutboundMessage.sent_at, OutboundMessage.created_at))
            .where(OutboundMessage.to_number == bindparam("phone"),
                   OutboundMessage.created_at >= bindparam("since"),
                   OutboundMessage.status.not_in((HELD, "opted_out")))
            .order_by(OutboundMessage.id.desc()).limit(HISTORY))


def item_key(phone: str) -> str:
    return f"reply_loop:{phone}"


def holds(uow: UnitOfWork, text: Incoming, answer: Answer) -> bool:
    """Whether the automatic replies to this text are kept back (a reply loop, found now or before)."""
    if not answer.replies:
        return False  # nothing to keep back
    s = uow.session
    item = s.execute(backlog.OPEN_BY_KEY, {"key": item_key(text.phone)}).scalars().first()
    if item is not None and text.now < _until(item):
        return True
    if answer.outcome not in LOOP_PRONE:
        return False
    if not reply_loop.is_loop(history(uow, text, answer.outcome)):
        return False
    _start(uow, text, item)
    return True


def history(uow: UnitOfWork, text: Incoming, outcome: str) -> list[reply_loop.Text]:
    """The phone's texts in the window, oldest first, as the rule sees them (this one last)."""
    s = uow.session
    since = text.now - reply_loop.RULE.window
    rows = list(reversed(s.execute(_TEXTS, {"phone": text.phone, "since": since, "upto": text.msg.id}).all()))
    replies = list(s.execute(_REPLIES, {"phone": text.phone,
                                        "since": since - timedelta(minutes=1)}).scalars())
    out = []
    for row in rows:
        kind = outcome if row.id == text.msg.id else row.outcome
        out.append(reply_loop.Text(row.received_at, row.body or "", kind not in LOOP_PRONE,
                                   reply_loop.seconds_after_reply(row.received_at, replies)))
    return out


def _until(item: BacklogItem) -> datetime:
    try:
        return datetime.fromisoformat(str((item.detail or {}).get("held_until")))
    except ValueError:
        return item.created_at


def _start(uow: UnitOfWork, text: Incoming, item: BacklogItem | None) -> None:
    s = uow.session
    until = text.now + timedelta(seconds=uow.config.reply_loop_hold_seconds)
    precinct = text.registered[0] if len(text.registered) == 1 else None
    body = redact(text.msg.body or "")
    if item is None:
        who = f"The chair of {precinct.code}" if precinct else "Number"
        item = backlog.open_item(
            s, "reply_loop", phone=text.phone, precinct_id=precinct.id if precinct else None,
            dedupe_key=item_key(text.phone),
            summary=f"{who} {text.phone} answers our replies automatically (\"{body[:60]}\"): "
                    f"automatic replies paused; its texts are still handled",
            detail={"body": body})
    item.detail = {**(item.detail or {}), "held_until": until.isoformat()}
    chain.record(s, "reply_loop_detected", precinct=precinct.code if precinct else None, phone=text.phone,
                 held_until=until.isoformat(), item_id=item.id)
    logger.warning("reply loop with %s: automatic replies paused until %s", mask(text.phone),
                   until.strftime("%H:%M:%S"))
