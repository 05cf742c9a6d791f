"""Handling a chair's text (the inbound job): one phone's texts in order, each dispatched by what it
says, the answer's replies written to the outbox and the inbox row marked handled, in one
transaction per text."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, defer

from hotline.adapters import metrics
from hotline.adapters.db import hold_for_transaction
from hotline.adapters.models import InboundMessage, utcnow
from hotline.domain.model import Candidate
from hotline.domain.languages import speaking
from hotline.domain.parsing import (
    CallMe,
    Cancel,
    Coin,
    Confirm,
    Done,
    Help,
    Report,
    Status,
    language_of,
    reply_language,
    parse_message,
)
from hotline.domain.texts import mask, redact
from hotline.services.log import chain
from hotline.services.records import observations, outbox, photos, roster
from hotline.services.sms import admission, coin, commands, confirm, loop_guard, observer, opt_out, report
from hotline.services.sms.message import Answer, Incoming
from hotline.services.units import UnitOfWork, Units

logger = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Incoming, Any], Answer]
# What each kind of text is answered by (the parser decides the kind).
HANDLERS: dict[type, Handler] = {
    Report: report.handle, Confirm: confirm.handle, Cancel: commands.cancel, Help: commands.help_,
    Status: commands.status, Done: commands.done, CallMe: commands.call_me, Coin: coin.handle,
}

# How many texts a phone has sent this hour, up to and including a given row: its place against
# the hourly allowance. Registered phones are counted here, not in the webhook (one Redis round
# trip fewer in every chair's webhook); the same rows give the same count, so a job that runs
# twice decides the same way.
_EARLIER = aliased(InboundMessage)
SENT_THIS_HOUR = (select(func.count(_EARLIER.id)).where(
    _EARLIER.from_number == InboundMessage.from_number, _EARLIER.id <= InboundMessage.id,
    _EARLIER.received_at >= bindparam("hour_start")).scalar_subquery())
# The oldest unhandled text from one phone up to a given row, and its count this hour (built
# once: every job runs it).
NEXT_FROM_PHONE = (select(InboundMessage, SENT_THIS_HOUR).options(defer(InboundMessage.raw)).where(
    InboundMessage.from_number == bindparam("phone"), InboundMessage.processed_at.is_(None),
    InboundMessage.channel == "sms", InboundMessage.id <= bindparam("upto"))
    .order_by(InboundMessage.id).limit(1))
# A plain UPDATE: the ORM's unit of work for this one row cost more than the write.
_INBOX = InboundMessage.__table__
MARK_HANDLED = _INBOX.update().where(_INBOX.c.id == bindparam("row")).values(
    outcome=bindparam("outcome"), processed_at=bindparam("at"), submission_id=bindparam("submission"))


def handle_texts(units: Units, redis: Redis, inbound_id: int, phone: str | None = None,
                 paced: bool = False) -> None:
    """Handle this row and any earlier unhandled rows from the same phone, in arrival order.

    `paced`: the text waits in the unknown numbers' lane, which runs within a shared budget.
    """
    if phone is None:  # jobs queued by older code, or by hand
        with units.reading() as session:
            phone = session.scalar(select(InboundMessage.from_number).where(InboundMessage.id == inbound_id))
        if phone is None:
            return
    if paced and not admission.within_unknown_budget(units, redis):
        return  # left unhandled; recovery brings it back when the budget allows
    candidates, codes = roster.candidates(units), roster.known_codes(units)  # before the write lock
    while _handle_next(units, inbound_id, phone, candidates, codes):
        pass


def _handle_next(units: Units, upto_id: int, phone: str, candidates: list[Candidate],
                 codes: frozenset[str]) -> bool:
    """Handle the oldest unhandled text from `phone` up to `upto_id`; False once `upto_id` is done."""
    with units.begin() as uow:
        # One phone's texts are handled one at a time, oldest first, so split texts and YES
        # replies keep their order; the database holds the lock, so no extra round trips.
        hold_for_transaction(uow.session, f"sender:{phone}")
        found = uow.session.execute(NEXT_FROM_PHONE, {"phone": phone, "upto": upto_id,
                                                      "hour_start": hour_start()}).one_or_none()
        if found is None:
            return False
        msg, sent = found
        limit = uow.config.texts_per_hour_registered  # numbers not on the roster met lower ones at the door
        if sent > limit:
            answer = Answer("throttled")  # kept, visible, not acted on
        else:
            registered = roster.precincts_for_phone(uow.session, phone)
            # A phone on no chair's roster row may be an observer's (a chair's phone stays the chair's).
            observing = None if registered else observations.for_phone(uow.session, phone)
            text = Incoming(msg, registered, candidates, codes, utcnow(), observing)
            only = text.registered[0].code if len(text.registered) == 1 else None  # for log searches
            chain.record(uow.session, "sms_received", precinct=only, phone=phone, sid=msg.sid,
                         registered=[p.code for p in text.registered], body=redact(msg.body),
                         media=len(msg.media_urls or []), **({"observer": True} if observing else {}))
            # The one place a reply's language is chosen: the text's own (written in Spanish), else
            # the chair's roster language, else English. Every sentence the handlers build follows it.
            with speaking(_language(uow, msg, text)):
                answer = dispatch(uow, text)
            held = loop_guard.holds(uow, text, answer)  # an auto-responder: no automatic replies
            if msg.media_urls:  # worksheet photos: each downloaded by its own job, once this commits
                precinct_id = photos.precinct_of(uow, answer.submission_id or msg.submission_id,
                                                 [p.id for p in text.registered])
                photos.expect(uow, msg, precinct_id, answer.submission_id or msg.submission_id)
            for r in answer.replies:
                to = r.to or phone
                outbox.queue_sms(uow, to, r.body, r.kind, priority=r.priority, precinct_id=r.precinct_id,
                                 inbound_id=msg.id, held=loop_guard.HELD if held and to == phone else None)
        uow.session.execute(MARK_HANDLED, {"row": msg.id, "outcome": answer.outcome, "at": utcnow(),
                                           "submission": answer.submission_id or msg.submission_id})
        if sent == limit + 1:
            uow.after_commit(lambda: uow.jobs.throttled(phone))  # staff hear once an hour, the chair is told
    logger.info("inbound %s from %s: %s", msg.id, mask(phone), answer.outcome)
    metrics.text_handled(answer.outcome)
    return msg.id < upto_id


# A chair's last few texts tonight: one who wrote in Spanish keeps getting Spanish.
EARLIER_BODIES = (select(InboundMessage.body).where(InboundMessage.from_number == bindparam("phone"),
                                                    InboundMessage.id < bindparam("before"),
                                                    InboundMessage.received_at >= bindparam("since"))
                  .order_by(InboundMessage.id.desc()).limit(3))


def _language(uow: UnitOfWork, msg: InboundMessage, text: Incoming) -> str:
    """The one place a reply's language is chosen (see parsing.reply_language): the text's own,
    else the phone's recent texts', else the chair's roster language, else English."""
    body = msg.body or ""
    roster_lang = text.observer.language if text.observer is not None else roster.language_of(text.registered)
    earlier: list[str] = []
    if language_of(body) is None and roster_lang != "es":  # only then do earlier texts matter
        earlier = list(uow.session.execute(EARLIER_BODIES, {"phone": msg.from_number, "before": msg.id,
                                                            "since": text.now - timedelta(hours=12)}).scalars())
    return reply_language(body, earlier, roster_lang)


def dispatch(uow: UnitOfWork, text: Incoming) -> Answer:
    """Answer one text by what it says: a photo alone, an opt-out word, a command, or (part of) a report."""
    body = text.msg.body or ""
    if text.msg.media_urls and not body.strip():
        return report.photo_only(uow, text)
    opted = opt_out.noticed(uow, text)  # STOP, START, ...: the phone's opt-out recorded
    if opted is not None:
        return opted
    parsed = parse_message(body, text.candidates, known_precincts=text.codes)
    if text.msg.media_urls and isinstance(parsed, Report) and not parsed.sections:
        # A photo with a caption ("DSM-1 worksheet") and no figures: the photo is what was sent.
        return report.photo_only(uow, text)
    if text.observer is not None:
        return observer.dispatch(uow, text, parsed, text.observer)
    return HANDLERS[type(parsed)](uow, text, parsed)


def hour_start(now: datetime | None = None) -> datetime:
    """The start of the clock hour the hourly allowances count in (as admission's counter does)."""
    return (now or utcnow()).replace(minute=0, second=0, microsecond=0)
