"""Everything that happened with a precinct or phone: texts, calls, replies, reports, worksheets."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from hotline.adapters.models import (
    CallEvent,
    Chair,
    ChairPhone,
    InboundMessage,
    OutboundMessage,
    Precinct,
    Submission,
    Worksheet,
)
from hotline.domain.texts import redact
from hotline.services.records import photos as photo_rows
from hotline.services.records.photos import PhotoView
from hotline.services.units import Units

LIMIT = 200  # events per kind; a precinct with more than this has a bigger problem than paging
OUTBOX_SHOWN = 200
CHAIRS_SHOWN = 300


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: datetime
    direction: str  # "in" (from the chair's side), "out" (from the hotline), "call"
    phone: str
    kind: str
    text: str
    status: str = ""
    media: int = 0  # how many photos the text brought
    photos: tuple[PhotoView, ...] = ()  # our copies of them (Twilio's URLs are never shown)


def timeline(s: Session, precinct: Precinct | None, phones: Sequence[str]) -> list[Event]:
    """Inbound texts, call steps and outbound texts or calls for these phones, oldest first."""
    events: list[Event] = []
    if phones:
        texts = list(s.execute(select(InboundMessage).where(InboundMessage.from_number.in_(phones))
                               .order_by(InboundMessage.id.desc()).limit(LIMIT)).scalars())
        kept = photo_rows.for_texts(s, [m.id for m in texts if m.media_urls])
        for m in texts:
            # PINs stay out of staff screens, as they stay out of the log.
            events.append(Event(m.received_at, "in", m.from_number, m.channel,
                                redact(m.body), m.outcome or "not handled yet", len(m.media_urls or ()),
                                tuple(kept.get(m.id, ()))))
        for c in s.execute(select(CallEvent).where(CallEvent.from_number.in_(phones))
                           .order_by(CallEvent.id.desc()).limit(LIMIT)).scalars():
            keys = "****" if "pin" in c.step or c.step.startswith("staff") else c.digits  # PINs
            events.append(Event(c.received_at, "call", c.from_number, f"call: {c.step}",
                                f"keys {keys}" if c.digits else "", c.call_sid))
    out = select(OutboundMessage)
    conditions = [OutboundMessage.to_number.in_(phones)] if phones else []
    if precinct is not None:
        conditions.append(OutboundMessage.precinct_id == precinct.id)
    if conditions:
        for o in s.execute(out.where(or_(*conditions)).order_by(OutboundMessage.id.desc()).limit(LIMIT)).scalars():
            events.append(Event(o.created_at, "out", o.to_number, o.kind, o.body,
                                o.status + (f" ({o.error_message})" if o.error_message else "")))
    return sorted(events, key=lambda e: e.at)


def submissions(s: Session, precinct: Precinct) -> list[Submission]:
    """Every report the precinct has had, newest first, with its stages loaded."""
    return list(s.execute(select(Submission).where(Submission.precinct_id == precinct.id)
                          .options(selectinload(Submission.reports))
                          .order_by(Submission.created_at.desc(), Submission.id.desc())).scalars())


def worksheets(s: Session, precinct: Precinct) -> list[Worksheet]:
    """The precinct's paper worksheets, newest first."""
    return list(s.execute(select(Worksheet).where(Worksheet.precinct_id == precinct.id)
                          .order_by(Worksheet.created_at.desc())).scalars())


def photos(s: Session, precinct: Precinct) -> list[PhotoView]:
    """The precinct's worksheet photos (our stored copies, or where their download stands), oldest first."""
    return photo_rows.for_precinct(s, precinct.id)


@dataclass(frozen=True)
class Sent:
    """One outbox row as the outbox page shows it."""

    created_at: datetime
    to_number: str
    kind: str
    status: str
    body: str
    id: int = 0
    twilio_sid: str | None = None


def outbox(units: Units, limit: int = OUTBOX_SHOWN, to: str | None = None) -> list[Sent]:
    """The newest outbound texts and call requests (to one number, if `to`), newest first."""
    q = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
    if to:
        q = q.where(OutboundMessage.to_number == to)
    with units.reading() as s:
        return [Sent(m.created_at, m.to_number, m.kind, m.status, m.body, m.id, m.twilio_sid)
                for m in s.execute(q).scalars()]


class ChairPhoneRow(NamedTuple):
    """A chair's phone, with the precinct and chair it belongs to."""

    code: str
    chair: str
    phone: str


@dataclass(frozen=True)
class Simulator:
    """The phone simulator: the chairs to text as, and the conversation with the chosen phone."""

    chairs: list[ChairPhoneRow]
    events: list[Event]


def chairs(units: Units) -> list[ChairPhoneRow]:
    """The first registered chairs' phones, by precinct (the simulator texts only as these)."""
    with units.reading() as s:
        return _chairs(s)


def _chairs(s: Session) -> list[ChairPhoneRow]:
    rows = s.execute(select(Precinct.code, Chair.name, ChairPhone.phone)
                     .join(Chair, Chair.precinct_id == Precinct.id)
                     .join(ChairPhone, ChairPhone.chair_id == Chair.id)
                     .order_by(Precinct.code, ChairPhone.id).limit(CHAIRS_SHOWN)).all()
    return [ChairPhoneRow(code, chair, phone) for code, chair, phone in rows]


def simulator(units: Units, phone: str) -> Simulator:
    """The chairs to pick from and everything sent to and from `phone` (none when blank)."""
    with units.reading() as s:
        return Simulator(_chairs(s), timeline(s, None, [phone]) if phone else [])


def thread(units: Units, phone: str) -> list[Event]:
    """Everything sent to and from one phone, oldest first."""
    if not phone:
        return []
    with units.reading() as s:
        return timeline(s, None, [phone])
