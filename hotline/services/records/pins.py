"""The chair's PIN, tried by text or on the keypad: one set of counters and one lock-out, so a
lock-out holds whichever way the PIN is tried."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hotline.adapters.models import Precinct
from hotline.services.log import chain
from hotline.services.records import backlog, limits
from hotline.services.units import UnitOfWork


@dataclass(frozen=True)
class Miss:
    """A wrong PIN: whether it locked PIN entry, and how many tries are left if not."""

    locked: bool
    left: int


def counters(code: str, phone: str, own_phone: bool = False) -> tuple[str, ...]:
    """The counters a try counts against: the precinct's and the phone's. The chair's own
    registered phone answers only to its own, so guessers elsewhere who locked the precinct do
    not lock its chair out."""
    mine = f"pin:phone:{phone}"
    return (mine,) if own_phone else (f"pin:precinct:{code}", mine)


def locked(uow: UnitOfWork, keys: tuple[str, ...]) -> bool:
    """Whether PIN entry is locked on any of these counters."""
    return any(limits.locked_until(uow.session, k) for k in keys)


def passed(uow: UnitOfWork, precinct: Precinct, phone: str, **detail: Any) -> None:
    """The right PIN: logged."""
    chain.record(uow.session, "pin_checked", precinct=precinct.code, phone=phone, ok=True, **detail)


def missed(uow: UnitOfWork, precinct: Precinct, phone: str, keys: tuple[str, ...], via: str = "",
           **detail: Any) -> Miss:
    """A wrong PIN: counted on every counter and logged; at the limit PIN entry locks and staff
    get one item for the precinct. `via` names the channel in that item ("voice")."""
    s, cfg = uow.session, uow.config
    tallies = [limits.hit(s, k, limit=cfg.pin_max_failures, window_seconds=cfg.pin_lockout_seconds,
                          lock_seconds=cfg.pin_lockout_seconds) for k in keys]
    chain.record(s, "pin_checked", precinct=precinct.code, phone=phone, ok=False, **detail)
    if any(t.locked_until for t in tallies):
        backlog.open_item(s, "pin_lockout", precinct_id=precinct.id, phone=phone,
                          dedupe_key=f"pinlock:{precinct.code}",
                          summary=f"{precinct.code}: PIN entry locked after wrong PINs from {phone}"
                                  + (f" ({via})" if via else ""))
        return Miss(True, 0)
    return Miss(False, cfg.pin_max_failures - max(t.count for t in tallies))
