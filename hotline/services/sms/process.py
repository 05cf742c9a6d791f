"""One inbox row: parse it, authenticate the sender, answer with a read-back or a fix-it text."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, defer

from hotline.adapters.db import UnitOfWork, hold_for_transaction
from hotline.domain import replies
from hotline.domain.model import Candidate
from hotline.domain.parsing import CallMe, Cancel, Confirm, Done, Help, Report, Status, parse_message
from hotline.domain.texts import mask, redact
from hotline.adapters.models import InboundMessage, Precinct, utcnow
from hotline.runtime import Runtime
from hotline.services.records import roster
from hotline.services.sms import admission, commands, confirm, report
from hotline.services.sms.context import Ctx
from hotline.services.log import chain as vlog

logger = logging.getLogger(__name__)

# Outcomes of earlier texts that a following text may complete (long texts arrive split).
FRAGMENT_OUTCOMES = {"parse_error", "readback", "callback_code_sent", "readback_resent", "readback_on_its_way"}


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


def process(rt: Runtime, inbound_id: int, phone: str | None = None, paced: bool = False) -> None:
    """Handle this row and any earlier unhandled rows from the same phone, in arrival order."""
    if phone is None:  # jobs queued by older code, or by hand
        with rt.db.transaction() as uow:
            phone = uow.session.scalar(select(InboundMessage.from_number).where(InboundMessage.id == inbound_id))
        if phone is None:
            return
    if paced and not admission.within_unknown_budget(rt):
        return  # left unprocessed; the sweeper brings it back when the budget allows
    candidates, codes = roster.candidates(rt), roster.known_codes(rt)  # before the write lock
    while _process_next(rt, inbound_id, phone, candidates, codes):
        pass


def _process_next(rt: Runtime, upto_id: int, phone: str, candidates: list[Candidate],
                  codes: frozenset[str]) -> bool:
    """Handle the oldest unhandled text from `phone` up to `upto_id`; False once `upto_id` is done."""
    with rt.db.transaction() as uow:
        # One phone's texts are handled one at a time, oldest first, so split texts and YES
        # replies keep their order; the database holds the lock, so no extra round trips.
        hold_for_transaction(uow.session, f"sender:{phone}")
        found = uow.session.execute(NEXT_FROM_PHONE, {"phone": phone, "upto": upto_id,
                                                      "hour_start": hour_start()}).one_or_none()
        if found is None:
            return False
        msg, sent = found
        limit = rt.config.texts_per_hour_registered  # numbers not on the roster met lower ones at the door
        if sent > limit:
            outcome, submission_id = "throttled", msg.submission_id  # kept, visible, not acted on
        else:
            ctx = Ctx(uow, rt, msg, candidates, codes)
            ctx.registered = roster.precincts_for_phone(uow.session, phone)
            only = ctx.registered[0].code if len(ctx.registered) == 1 else None  # for log searches
            vlog.record(uow.session, "sms_received", precinct=only, phone=phone, sid=msg.sid,
                        registered=[p.code for p in ctx.registered], body=redact(msg.body),
                        media=len(msg.media_urls or []))
            outcome, submission_id = handle(ctx), ctx.submission_id
        uow.session.execute(MARK_HANDLED, {"row": msg.id, "outcome": outcome, "at": utcnow(),
                                           "submission": submission_id})
    if sent == limit + 1:
        rt.queues.throttled(phone)  # after the commit: staff hear once an hour, a chair is told
    logger.info("inbound %s from %s: %s", msg.id, mask(phone), outcome)
    return msg.id < upto_id


def hour_start(now: datetime | None = None) -> datetime:
    """The start of the clock hour the hourly allowances count in (as admission's counter does)."""
    return (now or utcnow()).replace(minute=0, second=0, microsecond=0)


def handle(ctx: Ctx) -> str:
    """Dispatch on what the text is; returns the outcome recorded on the inbox row."""
    body = ctx.msg.body or ""
    if ctx.msg.media_urls and not body.strip():
        return report.photo_only(ctx)
    parsed = parse_message(body, ctx.candidates, known_precincts=ctx.codes)
    if isinstance(parsed, Confirm):
        return confirm.confirm_by_code(ctx, parsed.code)
    if isinstance(parsed, Cancel):
        return commands.cancel(ctx)
    if isinstance(parsed, Help):
        ctx.reply(replies.HELP, "help")
        return "help"
    if isinstance(parsed, Status):
        return commands.status(ctx)
    if isinstance(parsed, Done):
        return commands.done(ctx)
    if isinstance(parsed, CallMe):
        return commands.call_me(ctx)
    assert isinstance(parsed, Report)
    return report.report(ctx, parsed, lambda: fragments(ctx))


def fragments(ctx: Ctx) -> list[InboundMessage]:
    """Earlier texts from this phone that this one may continue, oldest first."""
    window = timedelta(seconds=ctx.rt.config.split_window_seconds)
    earlier = ctx.uow.session.execute(select(InboundMessage).where(
        InboundMessage.from_number == ctx.phone, InboundMessage.id < ctx.msg.id,
        InboundMessage.channel == "sms").order_by(InboundMessage.id.desc()).limit(5)).scalars()
    out: list[InboundMessage] = []
    newer = ctx.msg.received_at
    for prev in earlier:
        if prev.outcome not in FRAGMENT_OUTCOMES or newer - prev.received_at > window:
            break
        out.append(prev)
        newer = prev.received_at
    return list(reversed(out))
