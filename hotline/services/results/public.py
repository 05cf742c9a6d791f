"""Public results: confirmed, checked (or explained) precincts only, cached until the next change."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CandidateRow, County, Precinct, Report, ResultChange, Submission, utcnow
from hotline.adapters.queues import RESULTS_VERSION_KEY as VERSION_KEY
from hotline.config import Config
from hotline.domain.caucus_math import county_ratio, sde
from hotline.domain.central_time import clock_and_day
from hotline.domain.codes import natural_key
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus
from hotline.domain.model import Stage
from hotline.services.records import feed, holds, sources
from hotline.services.units import Units

# sources_agreeing: the chair plus each observer whose counts match (1: the chair alone);
# corroborated_by: those observers' organisations (never names or phones).
CSV_COLUMNS = ["county", "precinct", "candidate", "first", "final", "county_delegates", "sde",
               "sources_agreeing", "corroborated_by"]
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
    held = holds.held_ids(s)
    published: dict[str, feed.Figures] = {}
    for pid, code in s.execute(select(Precinct.id, Precinct.code)):
        stages, sub = current.get(pid, {}), latest.get(pid)
        if sub is not None and feed.publishes(stages, sub.flagged, sub.explained_at, pid in held):
            published[code] = stages
    return _results(s, published)


def _results(s: Session, published: dict[str, feed.Figures]) -> list[PrecinctResult]:
    """The published precincts (code -> figures by stage) with their county and SDEs, by code."""
    ratios = _county_ratios(s)
    out = []
    for p in sorted(s.execute(select(Precinct)).scalars(), key=lambda p: natural_key(p.code)):
        stages = published.get(p.code)
        if stages is None:
            continue
        ratio = ratios.get(p.county_id)
        dels = stages[Stage.DELEGATES.value]
        out.append(PrecinctResult(p.code, p.county.name, stages["first"], stages["final"], dels,
                                  sde(dels, ratio) if ratio is not None else {}))
    return out


def published_at(s: Session, sequence: int) -> list[PrecinctResult]:
    """The published precincts exactly as they stood at `sequence`, rebuilt from the feed: each
    precinct's newest recorded figures at or before it (SDEs from the roster's county ratios)."""
    latest: dict[str, feed.Figures | None] = {}
    for code, new in s.execute(select(ResultChange.precinct_code, ResultChange.new)
                               .where(ResultChange.sequence <= sequence).order_by(ResultChange.sequence)):
        latest[code] = new
    return _results(s, {code: figs for code, figs in latest.items() if figs is not None})


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


def _summary(s: Session, at: int | None = None) -> tuple[dict[str, Any], dict[str, list[str]], list[PrecinctResult]]:
    """The published summary, every county's precinct codes, and the published precincts: as they
    stand now, or (`at`) as they stood at that sequence of the feed."""
    sequence, as_of = feed.current(s)
    if at is None:
        rows = publishable(s)
    else:
        rows = published_at(s, at)
        sequence = at
        as_of = s.execute(select(ResultChange.at).where(ResultChange.sequence == at)).scalar_one_or_none()
    names = list(s.execute(select(CandidateRow.name).order_by(CandidateRow.ballot_order)).scalars())
    codes: dict[str, list[str]] = {}
    for county, code in s.execute(select(County.name, Precinct.code).join(Precinct, Precinct.county_id == County.id)
                                  .order_by(County.name)):
        codes.setdefault(county, []).append(code)
    for county_codes in codes.values():
        county_codes.sort(key=natural_key)  # DSM-2 before DSM-10
    counties: dict[str, list[PrecinctResult]] = {c: [] for c in sorted(codes)}
    for r in rows:
        counties[r.county].append(r)
    now = utcnow() if at is None or as_of is None else as_of
    data = {"updated_at": now.isoformat(timespec="seconds"), "updated_central": clock_and_day(now),
            "sequence": sequence, "as_of": as_of.isoformat(timespec="seconds") if as_of else None,
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


def precinct_rows(s: Session, config: Config) -> list[dict[str, Any]]:
    """One row per precinct per candidate, for JSON and CSV export."""
    out = []
    agree = sources.corroboration_by_code(s, config)
    for r in publishable(s):
        seen = agree.get(r.precinct)
        for name in dict.fromkeys(list(r.first) + list(r.final) + list(r.delegates)):
            out.append({"county": r.county, "precinct": r.precinct, "candidate": name,
                        "first": r.first.get(name, 0), "final": r.final.get(name, 0),
                        "county_delegates": r.delegates.get(name, 0),
                        "sde": str(r.sde[name]) if name in r.sde else "",
                        "sources_agreeing": seen.sources if seen else 1,
                        "corroborated_by": "; ".join(seen.organisations) if seen else ""})
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
    def of(cls, body: bytes, content: bytes | None = None, prefix: str = "") -> Answer:
        """The answer for `body`; its ETag hashes `content` (the body unless given: the figures
        without the time the cache was built, so every web process gives the same ETag), after
        `prefix` (the results' sequence: the ETag names the release)."""
        digest = hashlib.sha256(body if content is None else content).hexdigest()[:20]
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{prefix}{digest}"')


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
    etag_prefix = f"seq-{data['sequence']}-"
    reported = frozenset(r.precinct for r in rows)
    anchors: dict[str, str] = {}
    for county in codes:
        base = "county-" + (re.sub(r"[^a-z0-9]+", "-", county.lower()).strip("-") or "x")
        anchor, n = base, 1
        while anchor in anchors.values():
            n += 1
            anchor = f"{base}-{n}"
        anchors[county] = anchor
    return Published(data, Answer.of(as_json(data), as_json(figures), etag_prefix), codes, reported, anchors)


class Cache:
    """Per-process cache keyed by a version number in Redis, bumped whenever results change.

    The version is read from Redis at most once per `version_ttl` seconds per process (each read
    was a round trip on every public request: 0.95 of 7.3 s profiled for 3,000 304s, the second
    largest cost after the rate limit's own round trip). A change therefore shows within
    `version_ttl` (1 s; the pages say when they were updated and `/api/results` allows max-age=5
    anyway). While Redis is down nothing is kept: every read builds fresh from the database.
    """

    VERSION_TTL = 1.0

    def __init__(self, version_ttl: float = VERSION_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._store: dict[str, tuple[int, Any]] = {}
        self.version_ttl = version_ttl
        self._clock = clock
        self._version: tuple[int, float] | None = None  # (version, when it was read)

    def _current_version(self, redis: Redis) -> int:
        seen, now = self._version, self._clock()
        if seen is not None and now - seen[1] < self.version_ttl:
            return seen[0]
        try:
            version = int(redis.get(VERSION_KEY) or 0)
        except RedisError:
            self._version = None
            return -1  # Redis is down: serve fresh numbers from the database instead
        self._version = (version, now)
        return version

    def forget(self) -> None:
        """Drop every cached value and the version last read."""
        with self._lock:
            self._store.clear()
            self._version = None

    def get(self, units: Units, redis: Redis, key: str, build: Callable[[Session], T]) -> T:
        """The cached value under `key`, built again from a read snapshot once the results changed."""
        version = self._current_version(redis)
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
cache = _cache  # the precinct pages (results/precinct.py) keep their records in it too


def forget_cached() -> None:
    """Drop every cached answer of this process (tests start each on a fresh database)."""
    _cache.forget()
    with _at_lock:
        _at_cache.clear()


def summary_published(units: Units, redis: Redis) -> Published:
    """The published summary for the pages (cached until the results change)."""
    return _cache.get(units, redis, "summary", published)


def summary_answer(units: Units, redis: Redis) -> Answer:
    """`/api/results`: statewide and county totals as JSON, gzipped and with an ETag (cached)."""
    return summary_published(units, redis).answer


def summary_json(units: Units, redis: Redis) -> bytes:
    """Statewide and county totals as JSON (cached until the results change)."""
    return summary_answer(units, redis).body


@dataclass(frozen=True)
class Download:
    """A bulk download and the sequence of the feed it was made at (from the same read snapshot)."""

    body: bytes
    sequence: int


def _download(s: Session, build: Callable[[list[dict[str, Any]]], bytes], config: Config) -> Download:
    return Download(build(precinct_rows(s, config)), feed.current(s)[0])


def _precincts_document(s: Session, config: Config) -> Download:
    sequence, as_of = feed.current(s)
    return Download(as_json({"sequence": sequence, "as_of": as_of.isoformat(timespec="seconds") if as_of else None,
                             "precincts": precinct_rows(s, config)}), sequence)


def precincts_json(units: Units, redis: Redis) -> Download:
    """Per-precinct results as JSON, with the sequence they were made at (cached until the results change)."""
    return _cache.get(units, redis, "precincts", lambda s: _precincts_document(s, units.config))


def precincts_csv(units: Units, redis: Redis) -> Download:
    """Per-precinct results as CSV, with the sequence they were made at (cached until the results change)."""
    return _cache.get(units, redis, "precincts.csv", lambda s: _download(s, as_csv, units.config))


class BeyondSequence(LookupError):
    """A sequence the feed has not reached."""


# `/api/results?at=SEQ`: an answer per sequence, built once (the results at a sequence never change).
_at_cache: dict[int, Answer] = {}
_at_lock = threading.Lock()
AT_CACHE_SIZE = 256


def summary_at(units: Units, redis: Redis, sequence: int) -> Answer:
    """`/api/results?at=SEQ`: the summary exactly as it stood at that sequence (cached by SEQ).
    Raises BeyondSequence for a sequence the feed has not reached."""
    now = summary_published(units, redis).data["sequence"]
    with _at_lock:
        if _at_cache and now < max(_at_cache):
            _at_cache.clear()  # the feed went back (a fresh database): what we kept is not its past
        hit = _at_cache.get(sequence)
    if hit is not None:
        return hit
    with units.reading() as s:
        if sequence < 0 or sequence > feed.current(s)[0]:
            raise BeyondSequence(sequence)
        data = _summary(s, at=sequence)[0]
    answer = Answer.of(as_json(data), prefix=f"seq-{sequence}-at-")
    with _at_lock:
        if len(_at_cache) >= AT_CACHE_SIZE:
            _at_cache.pop(next(iter(_at_cache)))
        _at_cache[sequence] = answer
    return answer


CHANGES_LIMIT, CHANGES_MAX = 500, 2000


def changes(units: Units, since: int, limit: int = CHANGES_LIMIT) -> dict[str, Any]:
    """`/api/results/changes?since=SEQ`: the precinct-level changes after `since`, oldest first, at
    most `limit` (capped at CHANGES_MAX); `next` is the cursor for the following page (None when
    this page reaches the current sequence). Raises BeyondSequence past the current sequence."""
    limit = max(1, min(limit, CHANGES_MAX))
    with units.reading() as s:
        sequence, as_of = feed.current(s)
        if since < 0 or since > sequence:
            raise BeyondSequence(since)
        rows = [{"sequence": r.sequence, "at": r.at.isoformat(timespec="seconds"), "precinct": r.precinct_code,
                 "stages": r.stages, "old": r.old, "new": r.new, "reason": r.reason, "channel": r.channel}
                for r in s.execute(select(ResultChange).where(ResultChange.sequence > since)
                                   .order_by(ResultChange.sequence).limit(limit + 1)).scalars()]
    more = len(rows) > limit
    rows = rows[:limit]
    return {"since": since, "sequence": sequence, "as_of": as_of.isoformat(timespec="seconds") if as_of else None,
            "limit": limit, "next": rows[-1]["sequence"] if more else None, "changes": rows}
