"""Per-staff figures from the verification log's staff entries (pure: events in, numbers out).

An event is (kind, actor, item_id, at) with kind one of `backlog_claimed`, `backlog_released`,
`backlog_resolved` (item_id: the backlog item) or `staff_approved` (item_id unused), in log order.

- *resolved*: the items a staff member closed (each `backlog_resolved` under their name);
- *claim to resolve*: for each item they closed while holding it, the time from the claim that
  began their hold (a renewed claim by the same person keeps the start; a release, or someone
  else's claim after a lapse, ends it) to the close; the figure is the median of those times;
- *approved*: staff entries they approved (`staff_approved`).
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

CLAIMED, RELEASED, RESOLVED, APPROVED = "backlog_claimed", "backlog_released", "backlog_resolved", "staff_approved"
KINDS = (CLAIMED, RELEASED, RESOLVED, APPROVED)


@dataclass
class Figures:
    resolved: int = 0
    approved: int = 0
    durations: list[float] = field(default_factory=list)  # seconds, claim to resolve

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None


def tally(events: Iterable[tuple[str, str | None, int | None, datetime]]) -> dict[str, Figures]:
    """Figures per actor (only actors that appear in a counted event)."""
    out: dict[str, Figures] = {}
    holds: dict[int, tuple[str, datetime]] = {}  # item -> (who holds it, since when)
    for kind, actor, item_id, at in events:
        if not actor:
            continue
        if kind == APPROVED:
            out.setdefault(actor, Figures()).approved += 1
        elif item_id is None:
            continue
        elif kind == CLAIMED:
            if holds.get(item_id, ("", at))[0] != actor:
                holds[item_id] = (actor, at)
        elif kind == RELEASED:
            holds.pop(item_id, None)
        elif kind == RESOLVED:
            figures = out.setdefault(actor, Figures())
            figures.resolved += 1
            held = holds.pop(item_id, None)
            if held is not None and held[0] == actor:
                figures.durations.append((at - held[1]).total_seconds())
    return out


def duration_words(seconds: float | None) -> str:
    """`4 min 30 s`, `45 s`, `1 h 2 min`; a dash when there is nothing to measure."""
    if seconds is None:
        return "-"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
