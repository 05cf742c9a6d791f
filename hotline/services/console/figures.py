"""The administrators' figures: per staff member (from the verification log's staff entries) and
the queue as it stands (open items by kind, the oldest wait)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from hotline.adapters.models import BacklogItem, LogEntry, StaffUser, utcnow
from hotline.domain import staff_figures
from hotline.services.console import claims
from hotline.services.units import Units


@dataclass(frozen=True)
class StaffRow:
    username: str
    display_name: str
    role: str
    active: bool
    resolved: int
    median_seconds: float | None  # claim to resolve
    approved: int


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: str
    waiting: int       # open items
    in_hand: int       # of them, held by a staff member right now
    oldest_seconds: float | None  # how long the oldest open item has waited


@dataclass(frozen=True)
class QueueFigures:
    kinds: list[KindRow]
    waiting: int
    in_hand: int
    oldest_seconds: float | None


def per_staff(units: Units) -> list[StaffRow]:
    """Every account's items resolved, median claim-to-resolve time and entries approved."""
    with units.reading() as s:
        rows = s.execute(select(LogEntry.kind, LogEntry.actor, LogEntry.detail, LogEntry.at)
                         .where(LogEntry.kind.in_(staff_figures.KINDS)).order_by(LogEntry.seq))
        events = [(kind, actor, _item_id(detail), at) for kind, actor, detail, at in rows]
        users = list(s.execute(select(StaffUser).order_by(StaffUser.username)).scalars())
        tally = staff_figures.tally(events)
        out = []
        for u in users:
            f = tally.get(u.username, staff_figures.Figures())
            out.append(StaffRow(u.username, u.display_name, u.role, u.active, f.resolved, f.median_seconds,
                                f.approved))
        return out


def _item_id(detail: dict | None) -> int | None:
    value = (detail or {}).get("item_id")
    return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else None


def queue(units: Units, now: datetime | None = None) -> QueueFigures:
    """Open items by kind: how many, how many in hand, and how long the oldest has waited."""
    now = now or utcnow()
    with units.reading() as s:
        open_items = BacklogItem.resolved_at.is_(None)
        rows = s.execute(select(BacklogItem.kind, func.count(), func.min(BacklogItem.created_at))
                         .where(open_items).group_by(BacklogItem.kind)).all()
        held = dict(s.execute(select(BacklogItem.kind, func.count())
                              .where(open_items, BacklogItem.claimed_by.is_not(None),
                                     BacklogItem.claim_expires_at > now)
                              .group_by(BacklogItem.kind)).all())
    kinds = []
    for kind, n, oldest in sorted(rows, key=lambda r: r[2]):
        kinds.append(KindRow(kind, claims.label(kind), n, held.get(kind, 0), _age(oldest, now)))
    ages = [k.oldest_seconds for k in kinds if k.oldest_seconds is not None]
    return QueueFigures(kinds, sum(k.waiting for k in kinds), sum(k.in_hand for k in kinds),
                        max(ages) if ages else None)


def _age(at: datetime | None, now: datetime) -> float | None:
    if at is None:
        return None
    if at.tzinfo is None:  # SQLite's MIN() hands back the stored text, read without its zone
        at = at.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - at).total_seconds())
