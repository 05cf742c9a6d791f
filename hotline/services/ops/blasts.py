"""Reminders and broadcasts to many chairs at once: preview, send, cancel.

A blast is one row in `blasts` and one row per phone in `blast_recipients` (unique per blast and
phone, so a chair never gets the same blast twice), each carrying the outbox row of its text. The
texts go out at the lowest outbox priority (BLAST_PRIORITY), on the senders' last queue (`bulk`),
so read-backs, confirmations and every other answer a chair waits for go first. Cancelling marks
the blast's unsent outbox rows `cancelled`: a sender claims only rows still waiting, so they are
never sent.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.adapters.models import Blast, BlastRecipient, Chair, ChairPhone, OutboundMessage, PhoneOptOut, Precinct, utcnow
from hotline.config import Config
from hotline.domain import send_budget
from hotline.domain.codes import natural_key
from hotline.domain.model import Stage
from hotline.domain.segments import measure
from hotline.domain.languages import speaking
from hotline.domain.wording import sms as wording
from hotline.services.console import missing_reports
from hotline.services.log import chain
from hotline.services.records import outbox
from hotline.services.units import Units

logger = logging.getLogger(__name__)

KINDS = ("reminder", "broadcast")
BLAST_PRIORITY = 2  # below every other outbox row: the `bulk` queue, after replies and outbound
TEXT_KIND = {"reminder": "blast_reminder", "broadcast": "blast_broadcast"}
# Already waiting to go out for longer than this: the sending numbers are saturated, and a
# reminder is refused unless the staff member says to send it anyway.
SATURATED_SECONDS = 60.0
# The same blast (kind, filters, text) again this soon: a double click, not a second blast.
REPEAT_WINDOW = timedelta(minutes=2)
BROADCAST_MAX_CHARS = 600


class BlastError(Exception):
    """A blast refused; the message is written for the staff member."""


@dataclass(frozen=True)
class Recipient:
    phone: str
    precinct_id: int
    codes: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Preview:
    kind: str
    filters: dict[str, object]
    recipients: list[Recipient]
    opted_out: int                 # phones left out because they opted out
    segments: int                  # all texts together
    by_encoding: dict[str, int]    # texts per encoding (GSM-7, UCS-2)
    segments_each: tuple[int, ...]  # the distinct segment counts of one text, smallest first
    numbers: int
    rate: float | None             # segments a second per number; None: the local outbox, no limit
    seconds: float                 # sending the blast alone, on these numbers at their rate
    waiting_segments: int          # already in the outbox, waiting to go out
    waiting_seconds: float

    @property
    def texts(self) -> int:
        return len(self.recipients)

    @property
    def saturated(self) -> bool:
        return self.waiting_seconds > SATURATED_SECONDS

    def summary(self) -> str:
        each = "/".join(str(n) for n in self.segments_each) or "0"
        enc = ", ".join(f"{n} {e}" for e, n in sorted(self.by_encoding.items()))
        if self.rate is None:
            speed = "sent at once (no Twilio account: the local outbox)"
        else:
            speed = (f"about {send_budget.duration(self.seconds)} on {self.numbers} number"
                     f"{'' if self.numbers == 1 else 's'} at {self.rate:g} segment/s")
        text = (f"{self.texts} text{'' if self.texts == 1 else 's'} ({enc}), {each} segment"
                f"{'' if self.segments_each == (1,) else 's'} each, {self.segments} in all: {speed}.")
        if self.opted_out:
            text += f" {self.opted_out} opted-out phone{'' if self.opted_out == 1 else 's'} left out."
        if self.waiting_segments:
            text += (f" {self.waiting_segments} segments already wait to go out "
                     f"(about {send_budget.duration(self.waiting_seconds)}); read-backs and answers go first.")
        return text


@dataclass(frozen=True)
class Sent:
    blast_id: int
    preview: Preview


@dataclass(frozen=True)
class Summary:
    id: int
    kind: str
    text: str
    filters: dict[str, object]
    created_by: str
    created_at: datetime
    recipients: int
    sent: int
    waiting: int
    cancelled: int
    cancelled_at: datetime | None
    cancelled_by: str | None


def _opted_out(s: Session) -> set[str]:
    """Phones that opted out of our texts (STOP and the like): never part of a blast."""
    return set(s.execute(select(PhoneOptOut.phone).where(PhoneOptOut.opted_out.is_(True))).scalars())


def _capacity(config: Config) -> tuple[int, float | None]:
    """Sending numbers and the per-number rate (None: no limit, the local outbox)."""
    return max(1, len(config.twilio_from_numbers)), config.sending_rate


def _waiting_segments(s: Session) -> int:
    bodies = s.execute(select(OutboundMessage.body).where(OutboundMessage.status.in_(outbox.READY),
                                                          OutboundMessage.twilio_sid.is_(None))).scalars()
    return sum(measure(b).count for b in bodies)


def _recipients(s: Session, config: Config, kind: str, f: missing_reports.Filters,
                text: str) -> tuple[list[Recipient], int]:
    """Who a blast goes to (one text per phone), and how many opted-out phones were left out."""
    blocked = _opted_out(s)
    by_phone: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {}
    if kind == "reminder":
        view = missing_reports.build(s, f, config.caucus_starts_at)
        for row in view.rows:
            if row.phone:
                by_phone.setdefault(row.phone, []).append((row.precinct_id, row.code, row.missing))
        # Each chair's reminder in the chair's roster language.
        languages = dict(s.execute(select(ChairPhone.phone, Chair.language).join(
            Chair, Chair.id == ChairPhone.chair_id).where(ChairPhone.phone.in_(list(by_phone)))).all())
    else:
        q = (select(Precinct.id, Precinct.code, ChairPhone.phone).join(Chair, Chair.precinct_id == Precinct.id)
             .join(ChairPhone, ChairPhone.chair_id == Chair.id).order_by(ChairPhone.id))
        if f.county:
            q = q.where(Precinct.county.has(name=f.county))
        firsts: dict[int, tuple[str, str]] = {}
        for pid, code, phone in s.execute(q):
            firsts.setdefault(pid, (code, phone))
        for pid, (code, phone) in sorted(firsts.items(), key=lambda kv: natural_key(kv[1][0])):
            by_phone.setdefault(phone, []).append((pid, code, ()))
    out, left_out = [], 0
    for phone, precincts in by_phone.items():
        if phone in blocked:
            left_out += 1
            continue
        codes = tuple(code for _, code, _ in precincts)
        if kind == "reminder":
            stages = {st for _, _, missing in precincts for st in missing}
            with speaking(languages.get(phone)):
                body = wording.blast_reminder(codes, [st for st in Stage if st.value in stages])
        else:
            body = text
        out.append(Recipient(phone, precincts[0][0], codes, body))
    return out, left_out


def _check(kind: str, text: str | None) -> str:
    if kind not in KINDS:
        raise BlastError(f"A blast is a {' or a '.join(KINDS)}.")
    if kind == "broadcast":
        text = (text or "").strip()
        if not text:
            raise BlastError("Write the broadcast's text first.")
        if len(text) > BROADCAST_MAX_CHARS:
            raise BlastError(f"The broadcast is {len(text)} characters; keep it under {BROADCAST_MAX_CHARS}.")
        return text
    return ""


def _preview(s: Session, config: Config, kind: str, f: missing_reports.Filters, text: str) -> Preview:
    recipients, left_out = _recipients(s, config, kind, f, text)
    measured = [measure(r.body) for r in recipients]
    total = sum(m.count for m in measured)
    numbers, rate = _capacity(config)
    waiting = _waiting_segments(s)
    return Preview(kind, f.as_dict(), recipients, left_out, total, dict(Counter(m.encoding for m in measured)),
                   tuple(sorted({m.count for m in measured})), numbers, rate,
                   send_budget.sending_seconds(total, numbers, rate) if rate else 0.0, waiting,
                   send_budget.sending_seconds(waiting, numbers, rate) if rate else 0.0)


def _refuse(p: Preview, config: Config, even_if_busy: bool) -> None:
    """The bad inputs: each refused with a reason a staff member can act on, and a log line."""
    why = None
    if not p.recipients and p.opted_out:
        why = (f"Every one of the {p.opted_out} chosen phone{'' if p.opted_out == 1 else 's'} opted out of "
               "texts: nothing to send. Call them instead.")
    elif not p.recipients:
        why = "No chair matches: nobody to send to. Change the filters."
    elif p.texts > config.blast_max_recipients:
        why = (f"{p.texts} recipients is over the limit of {config.blast_max_recipients} "
               "(HOTLINE_BLAST_MAX_RECIPIENTS). Narrow it down, for example by county.")
    elif p.kind == "reminder" and p.saturated and not even_if_busy:
        why = (f"The sending numbers are saturated: {p.waiting_segments} segments already wait, about "
               f"{send_budget.duration(p.waiting_seconds)} of sending. This reminder would go out after them "
               f"and take about {send_budget.duration(p.seconds)} more (about "
               f"{send_budget.duration(p.waiting_seconds + p.seconds)} in all). Send it anyway, or wait.")
    if why:
        logger.warning("blast refused (%s, %s): %s", p.kind, p.filters, why)
        raise BlastError(why)


def preview(units: Units, kind: str, filters: missing_reports.Filters = missing_reports.Filters(),
            text: str | None = None, even_if_busy: bool = False) -> Preview:
    """What a blast would send, to whom, and how long it would take; refused as `send` would be."""
    body = _check(kind, text)
    with units.reading() as s:
        p = _preview(s, units.config, kind, filters, body)
    _refuse(p, units.config, even_if_busy)
    return p


def send(units: Units, kind: str, actor: str, filters: missing_reports.Filters = missing_reports.Filters(),
         text: str | None = None, even_if_busy: bool = False) -> Sent:
    """Store the blast and its recipients, queue one text per phone at the lowest priority, log it."""
    if not actor:
        raise BlastError("Say who sends the blast.")
    body = _check(kind, text)
    with units.begin() as uow:
        s = uow.session
        p = _preview(s, units.config, kind, filters, body)
        _refuse(p, units.config, even_if_busy)
        recent = s.execute(select(Blast.id).where(Blast.kind == kind, Blast.text == body,
                                                  Blast.cancelled_at.is_(None),
                                                  Blast.created_at >= utcnow() - REPEAT_WINDOW)
                           .order_by(Blast.id.desc())).scalars()
        for other in recent:
            if s.get(Blast, other).filters == p.filters:  # type: ignore[union-attr]
                logger.warning("blast refused: the same %s as blast %s, just sent", kind, other)
                raise BlastError(f"The same {kind} went out moments ago (blast {other}); not sent twice.")
        blast = Blast(kind=kind, text=body, filters=p.filters, created_by=actor, recipients=p.texts)
        s.add(blast)
        s.flush()
        for r in p.recipients:
            row = BlastRecipient(blast_id=blast.id, phone=r.phone, precinct_id=r.precinct_id)
            s.add(row)
            s.flush()  # the unique (blast, phone) pair: one text per phone per blast
            row.outbound_id = outbox.queue_sms(uow, r.phone, r.body, TEXT_KIND[kind], priority=BLAST_PRIORITY,
                                               precinct_id=r.precinct_id)
        chain.record(s, "blast_sent", actor=actor, blast_id=blast.id, blast_kind=kind, recipients=p.texts,
                     segments=p.segments, filters=p.filters, opted_out_left_out=p.opted_out,
                     text=body or None)
        blast_id = blast.id
    logger.info("blast %s sent by %s: %s", blast_id, actor, p.summary())
    return Sent(blast_id, p)


def cancel(units: Units, blast_id: int, actor: str) -> int:
    """Stop a blast midway: its texts not yet handed to Twilio are marked cancelled; how many."""
    with units.begin() as uow:
        s = uow.session
        blast = s.get(Blast, blast_id)
        if blast is None:
            raise BlastError(f"There is no blast {blast_id}.")
        if blast.cancelled_at is not None:
            raise BlastError(f"Blast {blast_id} was already cancelled by {blast.cancelled_by}.")
        ids = select(BlastRecipient.outbound_id).where(BlastRecipient.blast_id == blast_id)
        stopped = s.execute(update(OutboundMessage).where(
            OutboundMessage.id.in_(ids), OutboundMessage.status.in_(outbox.READY),
            OutboundMessage.twilio_sid.is_(None)).values(status="cancelled")).rowcount
        blast.cancelled_at, blast.cancelled_by = utcnow(), actor
        chain.record(s, "blast_cancelled", actor=actor, blast_id=blast_id, unsent=stopped)
    logger.info("blast %s cancelled by %s: %s texts not sent", blast_id, actor, stopped)
    return stopped


def recent(units: Units, limit: int = 10) -> list[Summary]:
    """The newest blasts, with how many of their texts went out, wait, or were cancelled."""
    with units.reading() as s:
        blasts = list(s.execute(select(Blast).order_by(Blast.id.desc()).limit(limit)).scalars())
        counts: dict[int, Counter[str]] = {b.id: Counter() for b in blasts}
        if blasts:
            unsent = OutboundMessage.twilio_sid.is_(None)
            q = (select(BlastRecipient.blast_id, OutboundMessage.status, unsent, func.count())
                 .join(OutboundMessage, OutboundMessage.id == BlastRecipient.outbound_id)
                 .where(BlastRecipient.blast_id.in_(list(counts)))
                 .group_by(BlastRecipient.blast_id, OutboundMessage.status, unsent))
            for bid, status, not_handed_over, n in s.execute(q):
                # Twilio calls a message it accepted "queued" too: with a Twilio SID it has gone.
                waiting = not_handed_over and status in (*outbox.READY, "sending")
                counts[bid]["waiting" if waiting else status] += n
        out = []
        for b in blasts:
            c = counts[b.id]
            waiting = c["waiting"]
            out.append(Summary(b.id, b.kind, b.text, dict(b.filters or {}), b.created_by, b.created_at,
                               b.recipients, sum(c.values()) - waiting - c["cancelled"], waiting, c["cancelled"],
                               b.cancelled_at, b.cancelled_by))
        return out
