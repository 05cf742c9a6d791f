"""Public results: confirmed, checked (or explained) precincts only, cached until the next change."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CandidateRow, County, Precinct, Report, Submission, utcnow
from hotline.adapters.queues import RESULTS_VERSION_KEY as VERSION_KEY
from hotline.domain.caucus_math import county_ratio, sde
from hotline.domain.central_time import clock_and_day
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
    return _summary(s)[0]


def _summary(s: Session) -> tuple[dict[str, Any], dict[str, list[str]], list[PrecinctResult]]:
    """The published summary, every county's precinct codes, and the published precincts."""
    rows = publishable(s)
    names = list(s.execute(select(CandidateRow.name).order_by(CandidateRow.ballot_order)).scalars())
    codes: dict[str, list[str]] = {}
    for county, code in s.execute(select(County.name, Precinct.code).join(Precinct, Precinct.county_id == County.id)
                                  .order_by(County.name, Precinct.code)):
        codes.setdefault(county, []).append(code)
    counties: dict[str, list[PrecinctResult]] = {c: [] for c in sorted(codes)}
    for r in rows:
        counties[r.county].append(r)
    now = utcnow()
    data = {"updated_at": now.isoformat(timespec="seconds"), "updated_central": clock_and_day(now),
            "precincts_reporting": len(rows), "precincts_total": sum(len(c) for c in codes.values()),
            "statewide": _totals(rows, names), "counties": []}
    for c, rs in counties.items():
        candidates = _totals(rs, names)
        data["counties"].append({"county": c, "precincts_reporting": len(rs), "precincts_total": len(codes[c]),
                                 "leading": _leading(candidates), "candidates": candidates})
    return data, codes, rows


def _leading(candidates: list[dict[str, Any]]) -> list[str]:
    """The candidate(s) with the most SDEs (more than one on a tie), none before any SDE is won."""
    top = max((Decimal(c["sde"]) for c in candidates), default=Decimal(0))
    return [c["candidate"] for c in candidates if Decimal(c["sde"]) == top] if top > 0 else []


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


T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """A cached public answer: the body, the same gzipped, and an ETag that names its content."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes, content: bytes | None = None) -> Answer:
        """The answer for `body`; its ETag hashes `content` (the body unless given: the figures
        without the time the cache was built, so every web process gives the same ETag)."""
        digest = hashlib.sha256(body if content is None else content).hexdigest()[:20]
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"')


@dataclass(frozen=True)
class Published:
    """The published summary, as the results page and `/api/results` read it (one per results version)."""

    data: dict[str, Any]                        # the summary, as `/api/results` has it
    answer: Answer                              # `/api/results`
    precincts: dict[str, list[str]]             # county -> its precinct codes
    reported: frozenset[str]                    # codes of the precincts whose results are published
    anchors: dict[str, str]                     # county -> its id on the results page (for links)


def published(s: Session) -> Published:
    """The summary for the pages and the API, from one read snapshot."""
    data, codes, rows = _summary(s)
    figures = {k: v for k, v in data.items() if k not in ("updated_at", "updated_central")}
    reported = frozenset(r.precinct for r in rows)
    anchors: dict[str, str] = {}
    for county in codes:
        base = "county-" + (re.sub(r"[^a-z0-9]+", "-", county.lower()).strip("-") or "x")
        anchor, n = base, 1
        while anchor in anchors.values():
            n += 1
            anchor = f"{base}-{n}"
        anchors[county] = anchor
    return Published(data, Answer.of(as_json(data), as_json(figures)), codes, reported, anchors)


class Cache:
    """Per-process cache keyed by a version number in Redis, bumped whenever results change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: dict[str, tuple[int, Any]] = {}

    def get(self, units: Units, redis: Redis, key: str, build: Callable[[Session], T]) -> T:
        """The cached value under `key`, built again from a read snapshot once the results changed."""
        try:
            version = int(redis.get(VERSION_KEY) or 0)
        except RedisError:
            version = -1  # Redis is down: serve fresh numbers from the database instead
        with self._lock:
            hit = self._store.get(key)
        if hit and hit[0] == version and version >= 0:
            return hit[1]  # type: ignore[no-any-return]
        with units.reading() as s:
            value = build(s)
        with self._lock:
            self._store[key] = (version, value)
        return value


# One cache per process: every web request for the public results reads it.
_cache = Cache()


def summary_published(units: Units, redis: Redis) -> Published:
    """The published summary for the pages (cached until the results change)."""
    return _cache.get(units, redis, "summary", published)


def summary_answer(units: Units, redis: Redis) -> Answer:
    """`/api/results`: statewide and county totals as JSON, gzipped and with an ETag (cached)."""
    return summary_published(units, redis).answer


def summary_json(units: Units, redis: Redis) -> bytes:
    """Statewide and county totals as JSON (cached until the results change)."""
    return summary_answer(units, redis).body


def precincts_json(units: Units, redis: Redis) -> bytes:
    """Per-precinct results as JSON (cached until the results change)."""
    return _cache.get(units, redis, "precincts", lambda s: as_json(precinct_rows(s)))


def precincts_csv(units: Units, redis: Redis) -> bytes:
    """Per-precinct results as CSV (cached until the results change)."""
    return _cache.get(units, redis, "precincts.csv", lambda s: as_csv(precinct_rows(s)))
