"""Public results: confirmed, checked (or explained) precincts only, cached until the next change."""
from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CandidateRow, County, Precinct, Report, Submission, utcnow
from hotline.adapters.queues import RESULTS_VERSION_KEY as VERSION_KEY
from hotline.domain.caucus_math import county_ratio, sde
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus
from hotline.domain.model import Stage
from hotline.services.units import Units

CSV_COLUMNS = ["county", "precinct", "candidate", "first", "final", "county_delegates", "sde"]
CURRENT, CONFIRMED = ReportStatus.CURRENT.value, SubmissionStatus.CONFIRMED.value


@dataclass(frozen=True)
class PrecinctResult:
    precinct: str
    county: str
    first: dict[str, int]
    final: dict[str, int]
    delegates: dict[str, int]
    sde: dict[str, Decimal]


def publishable(s: Session) -> list[PrecinctResult]:
    """Precincts with all three stages confirmed and no unexplained error on the latest confirmation."""
    current: dict[int, dict[str, dict[str, int]]] = {}
    rows = s.execute(select(Report.precinct_id, Report.stage, Report.counts).where(Report.status == CURRENT))
    for r in rows:
        current.setdefault(r.precinct_id, {})[r.stage] = r.counts
    latest = _latest_confirmations(s)
    ratios = _county_ratios(s)
    out = []
    for p in s.execute(select(Precinct).order_by(Precinct.code)).scalars():
        stages = current.get(p.id, {})
        sub = latest.get(p.id)
        if len(stages) < 3 or sub is None or (sub.flagged and sub.explained_at is None):
            continue
        ratio = ratios.get(p.county_id)
        dels = stages[Stage.DELEGATES.value]
        out.append(PrecinctResult(p.code, p.county.name, stages["first"], stages["final"], dels,
                                  sde(dels, ratio) if ratio is not None else {}))
    return out


def _latest_confirmations(s: Session) -> dict[int, Submission]:
    newest = (select(Submission.precinct_id, func.max(Submission.confirmed_at).label("at"))
              .where(Submission.status == CONFIRMED).group_by(Submission.precinct_id).subquery())
    rows = s.execute(select(Submission).join(newest, (Submission.precinct_id == newest.c.precinct_id)
                                             & (Submission.confirmed_at == newest.c.at))).scalars()
    return {sub.precinct_id: sub for sub in rows}


def _county_ratios(s: Session) -> dict[int, Any]:
    totals = dict(s.execute(select(Precinct.county_id, func.sum(Precinct.delegates_to_elect))
                            .group_by(Precinct.county_id)).all())
    out = {}
    for c in s.execute(select(County)).scalars():
        if c.state_delegates is not None and totals.get(c.id):
            out[c.id] = county_ratio(c.state_delegates, int(totals[c.id]))
    return out


def summary(s: Session) -> dict[str, Any]:
    """Statewide and per-county totals with "N of M precincts reporting"."""
    rows = publishable(s)
    names = list(s.execute(select(CandidateRow.name).order_by(CandidateRow.ballot_order)).scalars())
    totals_by_county = dict(s.execute(select(County.name, func.count(Precinct.id))
                                      .join(Precinct, Precinct.county_id == County.id).group_by(County.name)).all())
    counties: dict[str, list[PrecinctResult]] = {c: [] for c in sorted(totals_by_county)}
    for r in rows:
        counties[r.county].append(r)
    return {"updated_at": utcnow().isoformat(timespec="seconds"),
            "precincts_reporting": len(rows), "precincts_total": sum(totals_by_county.values()),
            "statewide": _totals(rows, names),
            "counties": [{"county": c, "precincts_reporting": len(rs), "precincts_total": totals_by_county[c],
                          "candidates": _totals(rs, names)} for c, rs in counties.items()]}


def _totals(rows: list[PrecinctResult], names: list[str]) -> list[dict[str, Any]]:
    seen = list(dict.fromkeys(names + [n for r in rows for n in r.first]))
    out = []
    for name in seen:
        out.append({"candidate": name,
                    "first": sum(r.first.get(name, 0) for r in rows),
                    "final": sum(r.final.get(name, 0) for r in rows),
                    "county_delegates": sum(r.delegates.get(name, 0) for r in rows),
                    "sde": str(sum((r.sde.get(name, Decimal(0)) for r in rows), Decimal("0.0000")))})
    return sorted(out, key=lambda c: (Decimal(c["sde"]), c["county_delegates"], c["final"]), reverse=True)


def precinct_rows(s: Session) -> list[dict[str, Any]]:
    """One row per precinct per candidate, for JSON and CSV export."""
    out = []
    for r in publishable(s):
        for name in dict.fromkeys(list(r.first) + list(r.final) + list(r.delegates)):
            out.append({"county": r.county, "precinct": r.precinct, "candidate": name,
                        "first": r.first.get(name, 0), "final": r.final.get(name, 0),
                        "county_delegates": r.delegates.get(name, 0),
                        "sde": str(r.sde[name]) if name in r.sde else ""})
    return out


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    """Per-precinct rows as a CSV file."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_json(data: Any) -> bytes:
    """Compact JSON."""
    return json.dumps(data, separators=(",", ":")).encode()


class Cache:
    """Per-process cache keyed by a version number in Redis, bumped whenever results change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: dict[str, tuple[int, bytes]] = {}

    def get(self, units: Units, redis: Redis, key: str, build: Callable[[Session], bytes]) -> bytes:
        """The cached body under `key`, built again from a read snapshot once the results changed."""
        try:
            version = int(redis.get(VERSION_KEY) or 0)
        except RedisError:
            version = -1  # Redis is down: serve fresh numbers from the database instead
        with self._lock:
            hit = self._store.get(key)
        if hit and hit[0] == version and version >= 0:
            return hit[1]
        with units.reading() as s:
            body = build(s)
        with self._lock:
            self._store[key] = (version, body)
        return body


# One cache per process: every web request for the public results reads it.
_cache = Cache()


def summary_json(units: Units, redis: Redis) -> bytes:
    """Statewide and county totals as JSON (cached until the results change)."""
    return _cache.get(units, redis, "summary", lambda s: as_json(summary(s)))


def precincts_json(units: Units, redis: Redis) -> bytes:
    """Per-precinct results as JSON (cached until the results change)."""
    return _cache.get(units, redis, "precincts", lambda s: as_json(precinct_rows(s)))


def precincts_csv(units: Units, redis: Redis) -> bytes:
    """Per-precinct results as CSV (cached until the results change)."""
    return _cache.get(units, redis, "precincts.csv", lambda s: as_csv(precinct_rows(s)))

