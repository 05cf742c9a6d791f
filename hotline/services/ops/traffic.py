"""Refused requests: the minute's summary in the verification log, and the last day for admins.

The counting itself is `adapters.refusals` (Redis only, fixed size). What reaches the log is at
most one `webhooks_rejected` entry a minute, of bounded size, whatever an attacker sends.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from redis import Redis

from hotline.adapters import refusals
from hotline.services.log import chain
from hotline.services.units import Units

FIELDS_LOGGED = 20  # (path, reason) pairs in one summary, most first
SOURCES_LOGGED = 5
ADDRESS_LOGGED = 45  # characters of an address: an IPv6 address fits


def log_last_minute(units: Units, redis: Redis, now: float | None = None) -> int:
    """Append one `webhooks_rejected` entry for the minute before `now`, if it had any refusals and
    no one has logged it yet; how many refusals it summarised (0: nothing written)."""
    minute = refusals.minute_of(datetime.now(timezone.utc).timestamp() if now is None else now) - 1
    tally = refusals.minute(redis, minute, top=SOURCES_LOGGED)
    if not tally.total or not refusals.claim_minute(redis, minute):
        return 0
    by_count = sorted(tally.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    counts: dict[str, dict[str, int]] = {}
    for (path, reason), n in by_count[:FIELDS_LOGGED]:
        counts.setdefault(path, {})[reason] = n
    detail = {"minute": datetime.fromtimestamp(minute * 60, timezone.utc).isoformat(timespec="minutes"),
              "total": tally.total, "counts": counts,
              "top_sources": [[address[:ADDRESS_LOGGED], n] for address, n in tally.sources[:SOURCES_LOGGED]]}
    try:
        with units.begin() as uow:
            chain.record(uow.session, "webhooks_rejected", **detail)
    except Exception:
        refusals.release_minute(redis, minute)  # the next run writes it
        raise
    return tally.total


@dataclass(frozen=True)
class Hour:
    """One hour's refusals for the admin page."""

    start: datetime
    counts: list[tuple[str, str, int]]  # (path, reason, count), most first
    total: int


@dataclass(frozen=True)
class LastDay:
    hours: list[Hour]  # newest first, hours without refusals left out
    paths: list[tuple[str, dict[str, int]]]  # per path: reason -> count over the day
    sources: list[tuple[str, int]]  # the day's top sources (counts are upper bounds)
    total: int


def last_day(redis: Redis, now: float | None = None, sources_shown: int = 20) -> LastDay:
    """Refused and throttled requests in the last 24 hours, by hour, path and reason, and the top
    sources; reads 48 fixed-size Redis structures in one round trip."""
    hours: list[Hour] = []
    paths: dict[str, dict[str, int]] = {}
    sources: dict[str, int] = {}
    for number, tally in refusals.hours(redis, now):
        if not tally.total:
            continue
        rows = sorted(((p, r, n) for (p, r), n in tally.counts.items()), key=lambda row: (-row[2], row[0], row[1]))
        hours.append(Hour(datetime.fromtimestamp(number * 3600, timezone.utc), rows, tally.total))
        for path, reason, n in rows:
            by_reason = paths.setdefault(path, {})
            by_reason[reason] = by_reason.get(reason, 0) + n
        for address, n in tally.sources:
            sources[address] = sources.get(address, 0) + n
    top = sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))[:sources_shown]
    return LastDay(hours, sorted(paths.items(), key=lambda kv: -sum(kv[1].values())), top,
                   sum(h.total for h in hours))
