"""One precinct's public record: its published figures, the math, the checks in plain words, every
published change, the worksheet photos, and the numbers of the log entries behind each figure.

Nothing personal: no phone, no chair's or staff member's name, no explanation note (staff
write those for the record; they may name people). A precinct that is not published shows
only its status and its earlier published changes (which were public when they were made).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import County, LogEntry, Precinct, Report, ResultChange, Submission
from hotline.domain.caucus_math import county_ratio, sde
from hotline.domain import coin_toss as tosses
from hotline.domain.model import Stage
from hotline.services.records import checking, coin_toss, feed, holds, reports, sources
from hotline.services.records import photos as photo_rows
from hotline.services.records.roster import precinct_by_code
from hotline.services.results.public import Answer, as_json, cache
from hotline.services.units import Units

STAGES = [stage.value for stage in Stage]

PUBLISHED, NOT_REPORTED, INCOMPLETE, HELD = "published", "not reported", "incomplete", "held for review"
STATUS_TEXT = {
    PUBLISHED: "All three result sets are confirmed and pass the checks (or staff explained a flag).",
    NOT_REPORTED: "No confirmed report yet.",
    INCOMPLETE: "Some result sets are confirmed; the figures are published once all three are.",
    HELD: "Held for review: the newest confirmed report is being checked by staff.",
}
# The log entries a public record points at (the entries behind its figures, photos and toss).
ENTRY_KINDS = ("report_confirmed", "report_explained", "coin_toss_recorded", "photo_stored", "photo_marked")


class UnknownPrecinct(LookupError):
    """No precinct has this code."""


@dataclass(frozen=True)
class Behind:
    """A log entry behind part of the record: its seq and what it supports ("first", "final",
    "delegates", "coin_toss", "explained", "photo:<sha256>", "photo_mark:<sha256>")."""

    seq: int
    role: str


@dataclass(frozen=True)
class Record:
    """One precinct's public record as JSON-ready data, and the log entries behind it."""

    data: dict[str, Any]
    behind: tuple[Behind, ...]
    answer: Answer


def normal_code(code: str) -> str:
    return (code or "").strip().upper()


def record(units: Units, redis: Redis, code: str) -> Record:
    """The precinct's public record (cached until the results change); UnknownPrecinct when no
    precinct has this code."""
    code = normal_code(code)
    if not code or len(code) > 32:
        raise UnknownPrecinct(code)
    found = cache.get(units, redis, f"precinct:{code}", lambda s: _build(s, units, code))
    if found is None:
        raise UnknownPrecinct(code)
    return found


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at is not None else None


def _build(s: Session, units: Units, code: str) -> Record | None:
    precinct = precinct_by_code(s, code)
    if precinct is None:
        return None
    sequence, as_of = feed.current(s)
    published = feed.figures(s, precinct.id)
    current = reports.current_reports(s, precinct.id)  # by Stage, which compares equal to "first" etc.
    newest = reports.latest_confirmed(s, precinct.id)
    hold = holds.current(s, precinct.id)
    if published is not None:
        status = PUBLISHED
    elif not current:
        status = NOT_REPORTED
    elif newest is not None and (hold is not None or set(STAGES) <= current.keys()):
        status = HELD  # by staff or the checks, or the newest report failed a check
    else:
        status = INCOMPLETE
    data: dict[str, Any] = {
        "precinct": precinct.code, "name": precinct.name, "county": precinct.county.name,
        "status": status, "status_text": STATUS_TEXT[status],
        "sequence": sequence, "as_of": _iso(as_of),
        "delegates_to_elect": precinct.delegates_to_elect,
    }
    if status == HELD and newest is not None:
        since = hold.held_at if hold is not None else newest.confirmed_at
        data["held_since"] = _iso(since)  # when, never why: the reason is for staff
    data["changes"] = _changes(s, precinct.code)
    entries = _entries(s, precinct.code)
    behind: list[Behind] = []
    if published is not None:
        behind = _figures(s, units, precinct, published, current, newest, entries, data)
    data["log_entries"] = _roles(behind)
    data["proof"] = f"/api/results/precincts/{precinct.code}/proof" if behind else None
    body = as_json(data)
    return Record(data, tuple(behind), Answer.of(body, prefix=f"seq-{sequence}-"))


def _figures(s: Session, units: Units, precinct: Precinct, published: feed.Figures,
             current: dict[Stage, Report], newest: Submission | None, entries: list[LogEntry],
             data: dict[str, Any]) -> list[Behind]:
    """Fill `data` with a published precinct's figures, math, findings, toss and photos; return
    the log entries behind them."""
    evaluation = checking.evaluation(s, precinct)
    attendance_reported = s.execute(checking.LATEST_ATTENDANCE, {"precinct_id": precinct.id}).scalar()
    ratio = _county_ratio(s, precinct.county)
    delegates = published[Stage.DELEGATES.value]
    data.update({
        "attendance": evaluation.attendance,
        "attendance_reported": attendance_reported is not None,
        "viability": evaluation.viability,
        "county_ratio": f"{ratio.numerator}/{ratio.denominator}" if ratio is not None else None,
        "first": published["first"], "final": published["final"], "delegates": delegates,
        "sde": {k: str(v) for k, v in sde(delegates, ratio).items()} if ratio is not None else {},
    })
    # A second source: observers whose confirmed counts match the chair's (organisations only).
    seen = sources.corroboration(s, units.config, [precinct.id]).get(precinct.id)
    data["sources"] = {"agreeing": seen.sources if seen else 1,
                       "organisations": list(seen.organisations) if seen else []}
    alloc = evaluation.allocation
    data["computed"] = None if alloc is None else {
        "viable": list(alloc.viable),
        "options": [dict(o) for o in alloc.options],
        "matches": alloc.is_consistent(delegates),
        "coin_toss": alloc.coin_toss,
        "tied": list(alloc.tied_groups),
    }
    data["findings"] = [{"code": f.code, "severity": f.severity.value, "text": f.message}
                        for f in evaluation.findings]
    behind: list[Behind] = []
    by_submission = {e.detail.get("submission_id"): e for e in entries if e.kind == "report_confirmed"}
    for stage in STAGES:
        entry = by_submission.get(current[stage].submission_id) if stage in current else None
        if entry is not None:
            behind.append(Behind(entry.seq, stage))
    explained = None
    if newest is not None and newest.flagged and newest.explained_at is not None:
        entry = next((e for e in reversed(entries) if e.kind == "report_explained"
                      and e.detail.get("submission_id") == newest.id), None)
        explained = {"at": _iso(newest.explained_at), "log_entry": entry.seq if entry else None}
        if entry is not None:
            behind.append(Behind(entry.seq, "explained"))
    data["explained"] = explained
    toss = coin_toss.latest(s, precinct.id)
    data["coin_toss"] = None
    if toss is not None and tosses.applies(alloc, toss.winners):  # not a toss of an earlier tie
        data["coin_toss"] = {"groups": list(toss.groups), "winners": list(toss.winners), "channel": toss.channel,
                             "recorded_at": _iso(toss.recorded_at), "log_entry": toss.log_seq}
        if toss.log_seq is not None:
            behind.append(Behind(toss.log_seq, "coin_toss"))
    data["photos"] = []
    for photo in photo_rows.publishable(s, precinct.id, units.config.publish_photos_at_once):
        stored = next((e for e in entries if e.kind == "photo_stored" and e.detail.get("photo_id") == photo.id), None)
        marked = next((e for e in reversed(entries) if e.kind == "photo_marked"
                       and e.detail.get("photo_id") == photo.id), None)
        seqs = [e.seq for e in (stored, marked) if e is not None]
        data["photos"].append({"sha256": photo.sha256, "content_type": photo.content_type, "bytes": photo.bytes,
                               "received_at": _iso(photo.received_at), "mark": photo.mark,
                               "url": f"/results/precincts/{precinct.code}/photos/{photo.sha256}", "log_entries": seqs})
        if stored is not None:
            behind.append(Behind(stored.seq, f"photo:{photo.sha256}"))
        if marked is not None:
            behind.append(Behind(marked.seq, f"photo_mark:{photo.sha256}"))
    return behind


def _roles(behind: list[Behind]) -> dict[str, int]:
    return {b.role: b.seq for b in behind}


def _entries(s: Session, code: str) -> list[LogEntry]:
    """The precinct's log entries of the kinds a public record points at, oldest first."""
    return list(s.execute(select(LogEntry).where(LogEntry.precinct_code == code, LogEntry.kind.in_(ENTRY_KINDS))
                          .order_by(LogEntry.seq)).scalars())


def _changes(s: Session, code: str) -> list[dict[str, Any]]:
    rows = s.execute(select(ResultChange).where(ResultChange.precinct_code == code)
                     .order_by(ResultChange.sequence)).scalars()
    return [{"sequence": r.sequence, "at": _iso(r.at), "stages": r.stages, "old": r.old, "new": r.new,
             "reason": r.reason, "channel": r.channel} for r in rows]


def _county_ratio(s: Session, county: County) -> Fraction | None:
    if county.state_delegates is None:
        return None
    total = s.execute(select(func.sum(Precinct.delegates_to_elect))
                      .where(Precinct.county_id == county.id)).scalar()
    return county_ratio(county.state_delegates, int(total)) if total else None
