"""The staff queue: open backlog items by priority and age, claims that expire, release, resolve."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, County, Precinct, Submission, utcnow
from hotline.domain.lifecycle import SubmissionStatus
from hotline.services.console.views import ItemView, item_view
from hotline.services.log import chain as vlog
from hotline.services.records import backlog, holds, pins, roster, sources
from hotline.services.units import UnitOfWork, Units

# Plain words for each kind of item, for volunteers on their first shift.
KIND_LABELS = {
    "callback_request": "Chair asked for a call back",
    "failed_check": "Report failed a check",
    "pin_lockout": "PIN tries slowed after wrong PINs",
    "code_lockout": "Code locked after wrong tries",
    "voicemail": "Voicemail",
    "unparsed_text": "Text we could not read",
    "delivery_failure": "Our text did not arrive",
    "unknown_sender": "Text from an unregistered phone",
    "log_rewrite": "Verification log no longer matches a signed checkpoint",
    "photo_failed": "Worksheet photo could not be downloaded",
    "opted_out": "Call this chair: their phone opted out of texts",
    "reply_loop": "Automatic replies paused: an auto-responder answered them",
    "precinct_held": "Precinct held for review: check it, then release it",
    "source_conflict": "An observer's counts differ from the chair's: compare, then settle",
}
QUEUE_LIMIT = 500  # rows shown at once; the counts still cover everything


class NotClaimant(Exception):
    """Only the staff member holding a live claim on an item may act on it."""


@dataclass(frozen=True)
class Filters:
    """`first`: counties whose items come before all others (a staff member's own counties; the
    queue's "mine" view). Items without a precinct are never in them."""

    kind: str | None = None
    county: str | None = None
    first: tuple[str, ...] = ()


@dataclass(frozen=True)
class Queue:
    """The queue page: open items, who holds each, counts by kind, staff entries to approve."""

    items: list[ItemView]
    holders: dict[int, str | None]
    counts: dict[str, int]
    approvals: int
    counties: list[str]


def overview(units: Units, f: Filters) -> Queue:
    """The open items matching `f`, most urgent first, with everything the queue page shows."""
    with units.reading() as s:
        items = [item_view(i) for i in queue(s, f)]
        approvals = s.scalar(select(func.count()).select_from(Submission).where(
            Submission.source == "staff", Submission.status == SubmissionStatus.AWAITING.value)) or 0
        return Queue(items, {i.id: holder(i) for i in items}, counts_by_kind(s, f), approvals, counties(s))


def _open(f: Filters) -> Any:
    q = select(BacklogItem).where(BacklogItem.resolved_at.is_(None))
    if f.county:
        q = q.join(Precinct, Precinct.id == BacklogItem.precinct_id).join(
            County, County.id == Precinct.county_id).where(County.name == f.county)
    return q


def queue(s: Session, f: Filters) -> list[BacklogItem]:
    """Open items, most urgent first, oldest first within a priority."""
    q = _open(f)
    if f.kind:
        q = q.where(BacklogItem.kind == f.kind)
    order: list[Any] = [BacklogItem.priority, BacklogItem.created_at, BacklogItem.id]
    if f.first:
        theirs = select(Precinct.id).join(County, County.id == Precinct.county_id).where(County.name.in_(f.first))
        order.insert(0, case((BacklogItem.precinct_id.in_(theirs), 0), else_=1))
    q = q.order_by(*order).limit(QUEUE_LIMIT)
    return list(s.execute(q).unique().scalars())


def counts_by_kind(s: Session, f: Filters) -> dict[str, int]:
    """How many open items of each kind (the county filter applies, the kind filter does not)."""
    sub = _open(Filters(county=f.county)).subquery()
    rows = s.execute(select(sub.c.kind, func.count()).group_by(sub.c.kind)).all()
    found = {kind: n for kind, n in rows}
    return {**{kind: 0 for kind in backlog.KINDS}, **found}


def label(kind: str) -> str:
    """The plain-words name of a kind of item."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def counties(s: Session) -> list[str]:
    """Every county's name, for the queue's filter."""
    return list(s.execute(select(County.name).order_by(County.name)).scalars())


def holder(item: BacklogItem | ItemView, now: datetime | None = None) -> str | None:
    """Who holds a live claim on the item, if anyone."""
    now = now or utcnow()
    if item.claimed_by and item.claim_expires_at and item.claim_expires_at > now:
        return item.claimed_by
    return None


def take(units: Units, item_id: int, user: str) -> bool:
    """Claim the item for `user` (or renew their claim); False when someone else has it or it is closed."""
    with units.begin() as uow:
        return claim(uow.session, item_id, user, uow.config.claim_ttl_seconds)


def claim(s: Session, item_id: int, user: str, ttl_seconds: int) -> bool:
    """Take (or renew) the claim; one conditional UPDATE, so two staff never both get it."""
    now = utcnow()
    result = s.execute(
        update(BacklogItem)
        .where(BacklogItem.id == item_id, BacklogItem.resolved_at.is_(None),
               or_(BacklogItem.claimed_by.is_(None), BacklogItem.claimed_by == user,
                   BacklogItem.claim_expires_at < now))
        .values(claimed_by=user, claim_expires_at=now + timedelta(seconds=ttl_seconds))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    item = s.get(BacklogItem, item_id, populate_existing=True)
    assert item is not None
    vlog.record(s, "backlog_claimed", precinct=precinct_code(item), phone=item.phone, actor=user,
                item_id=item_id, until=item.claim_expires_at)
    return True


@contextmanager
def holding(units: Units, item_id: int, user: str) -> Iterator[tuple[UnitOfWork, BacklogItem]]:
    """A transaction on the item, if `user` holds a live claim on it (renewed); else NotClaimant.

    Every staff action on an item runs inside one, so the claim is checked in the same
    transaction that acts: a claim that lapses meanwhile cannot let two people act at once.
    """
    with units.begin() as uow:
        yield uow, held(uow.session, item_id, user, uow.config.claim_ttl_seconds)


def held(s: Session, item_id: int, user: str, ttl_seconds: int) -> BacklogItem:
    """The item, if `user` holds a live claim on it (which each action renews); else NotClaimant."""
    item = s.get(BacklogItem, item_id)
    if item is None or item.resolved_at is not None:
        raise NotClaimant("This item is already closed.")
    if holder(item) != user:
        raise NotClaimant("Claim this item first: only the person working on it can act on it.")
    item.claim_expires_at = utcnow() + timedelta(seconds=ttl_seconds)
    return item


def give_back(units: Units, item_id: int, user: str) -> None:
    """Return the item `user` holds to the queue unfinished."""
    with holding(units, item_id, user) as (uow, item):
        item.claimed_by = item.claim_expires_at = None
        vlog.record(uow.session, "backlog_released", precinct=precinct_code(item), phone=item.phone, actor=user,
                    item_id=item.id)


NOTE_LIMIT = 2000


def close(units: Units, item_id: int, user: str, note: str) -> str | tuple[str, str] | None:
    """Close the item `user` holds with a note saying what was done (ValueError without one).

    An item that closed meanwhile (a newer report passed the checks while they were writing)
    keeps their note instead of refusing it: the answer then says so. None when `user` closed it.
    """
    note = note.strip()
    with units.begin() as uow:
        s = uow.session
        found = s.get(BacklogItem, item_id)
        if found is not None and found.resolved_at is not None and note:
            return _late_note(s, found, user, note)
        item = held(s, item_id, user, uow.config.claim_ttl_seconds)
        if not note:
            raise ValueError("Write a short note saying what you did before resolving.")
        if item.kind in HELD_ITEMS and item.precinct is not None:
            return _release(uow, item, user, note)
        item.resolved_at, item.resolved_by = utcnow(), user
        item.resolution, item.note = "resolved", note
        item.claimed_by = item.claim_expires_at = None
        vlog.record(s, "backlog_resolved", precinct=precinct_code(item), phone=item.phone, actor=user,
                    item_id=item.id, note=note)
    return None


# Items that stand for a hold: resolving one alone would leave the precinct held with nothing in the
# queue to say so. Their Resolve goes through the hold's own rules (its log, the two-person release),
# which close the item.
HELD_ITEMS = ("precinct_held", "source_conflict")


def _release(uow: UnitOfWork, item: BacklogItem, user: str, note: str) -> str | tuple[str, str] | None:
    precinct = item.precinct
    item.claimed_by = item.claim_expires_at = None  # done with it, or another staff member must be
    if item.kind == "source_conflict":
        sources.confirm_chair(uow, precinct, user, note)
        return f"{precinct.code}: the chair's figures are confirmed and the hold ends; your note is logged."
    try:
        done = holds.release(uow, precinct, user, note)
    except holds.HoldRefused as exc:
        raise ValueError(str(exc)) from exc
    if done.refused:
        return done.refused, "error"
    return f"{precinct.code}: the hold is released and the figures are published again."


def add_note(units: Units, item_id: int, user: str, note: str) -> str:
    """Add `user`'s note to a closed item (kept with it and logged); what happened, in words."""
    note = note.strip()
    if not note:
        raise ValueError("Write the note first.")
    with units.begin() as uow:
        item = uow.session.get(BacklogItem, item_id)
        if item is None:
            raise NotClaimant(f"There is no item {item_id}.")
        if item.resolved_at is None:
            raise NotClaimant("This item is still open: resolve it with your note instead.")
        return _late_note(uow.session, item, user, note)


def _late_note(s: Session, item: BacklogItem, user: str, note: str) -> str:
    """Keep a note written on an item that is already closed: in its detail ("notes") and the log."""
    note = note[:NOTE_LIMIT]
    notes = [*(item.detail or {}).get("notes", []),
             {"by": user, "at": utcnow().isoformat(timespec="seconds"), "note": note}]
    item.detail = {**(item.detail or {}), "notes": notes}  # a new dict: the JSON column sees the change
    if item.claimed_by == user:  # closing by itself left their claim on it
        item.claimed_by = item.claim_expires_at = None
    vlog.record(s, "backlog_note_added", precinct=precinct_code(item), phone=item.phone, actor=user,
                item_id=item.id, note=note)
    return closed_words(item) + "; your note was added."


def closed_words(item: BacklogItem) -> str:
    """How the item closed, for the staff member whose note came after: "This item closed itself at
    21:04 UTC because a newer confirmed report passes the checks"."""
    at = f"{item.resolved_at:%H:%M} UTC" if item.resolved_at else "some point"
    why = item.note or ""
    if item.resolution == "auto" or item.resolved_by == "system":
        because = f" because {why}" if why.startswith(("a ", "an ", "the ")) else (f" ({why})" if why else "")
        return f"This item closed itself at {at}{because}"
    return f"{item.resolved_by or 'Someone'} had already closed this item at {at}" + (f" ({why})" if why else "")


def precinct_code(item: BacklogItem) -> str | None:
    """The code of the item's precinct, for log entries (None while nobody knows which it is)."""
    return item.precinct.code if item.precinct else None



def clear_pins(units: Units, item_id: int, user: str) -> str:
    """On a PIN item `user` holds: end the precinct's PIN slow-down (or the statewide pause of PIN
    tries), logged with who did it, and close the item. What was done, for the staff member."""
    with holding(units, item_id, user) as (uow, item):
        what = pins.slowdown_of(item)
        if what == "pause":
            pins.clear_pause(uow, user, item_id=item.id)
            note = "Ended the statewide pause of PIN tries."
        elif what == "precinct" and item.precinct is not None:
            pins.clear(uow, item.precinct, user, item_id=item.id)
            note = f"Cleared the PIN slow-down for {item.precinct.code}."
        else:
            raise ValueError("This item has no PIN slow-down to clear.")
        _finish(uow.session, item, user, "cleared", note)
    return note + " The item is closed."


def clear_pin_slowdown(units: Units, code: str, actor: str) -> bool:
    """End precinct `code`'s PIN slow-down from outside the queue (the CLI), logged with `actor`,
    and close its open item; whether one was on. KeyError for an unknown precinct."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code.strip())
        if precinct is None:
            raise KeyError(code)
        was = pins.clear(uow, precinct, actor)
        key = pins.slowdown_key(precinct.code)
        for item in uow.session.execute(backlog.OPEN_BY_KEY, {"key": key}).scalars():
            _finish(uow.session, item, actor, "cleared", f"Cleared the PIN slow-down for {precinct.code}.")
        return was


def _finish(s: Session, item: BacklogItem, actor: str, resolution: str, note: str) -> None:
    item.resolved_at, item.resolved_by = utcnow(), actor
    item.resolution, item.note = resolution, note
    item.claimed_by = item.claim_expires_at = None
    vlog.record(s, "backlog_resolved", precinct=precinct_code(item), phone=item.phone, actor=actor,
                item_id=item.id, note=note)
