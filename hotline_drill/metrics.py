"""What the drill checks after the night: nothing lost, nothing twice, every reply sent, rates held."""
from __future__ import annotations

import bisect
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import (BacklogItem, InboundMessage, LogEntry, OutboundMessage, Precinct, Report, StaffUser,
                                     utcnow)
from hotline.domain import staff_figures
from hotline.services.ops import status
from hotline_drill.load import percentile


def latest_confirms(outcomes: list[dict]) -> dict[tuple[str, str], dict]:
    """Each stage's last confirmation: what should count (an earlier one may be a corrected typo)."""
    latest: dict[tuple[str, str], dict] = {}
    for out in outcomes:
        for c in out["confirms"]:
            key = (out["precinct"], c["stage"])
            if key not in latest or c["yes_sent_at"] > latest[key]["yes_sent_at"]:
                latest[key] = c
    return latest


def integrity(s: Session, outcomes: list[dict], chair_phones: set[str],
              current: dict[tuple[str, str], dict]) -> dict[str, int]:
    """Counts that must be zero: reports lost, recorded twice, texts handled twice, replies never sent.

    "Lost" compares what chairs confirmed with what counts now; "twice" is judged from the
    server's own records, so a reply that reached a chair late is not mistaken for a double.
    """
    expected = latest_confirms(outcomes)
    lost = sum(1 for key, c in expected.items() if current.get(key) != c["counts"])
    two_current = s.execute(select(Report.precinct_id, Report.stage).where(Report.status == "current")
                            .group_by(Report.precinct_id, Report.stage).having(func.count() > 1)).all()
    one_submission_twice = s.execute(select(Report.submission_id, Report.stage)
                                     .group_by(Report.submission_id, Report.stage)
                                     .having(func.count() > 1)).all()
    handled: dict[str, int] = defaultdict(int)
    for detail in s.execute(select(LogEntry.detail).where(LogEntry.kind == "sms_received")).scalars():
        handled[detail.get("sid", "")] += 1
    unsent = s.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.to_number.in_(chair_phones), OutboundMessage.twilio_sid.is_(None))) or 0
    return {"reports_lost": lost, "reports_recorded_twice": len(two_current) + len(one_submission_twice),
            "texts_handled_twice": sum(1 for n in handled.values() if n > 1),
            "replies_never_sent": unsent, "stages_expected": len(expected),
            "confirmations_without_reply": sum(1 for out in outcomes for c in out["confirms"]
                                               if not c.get("answered", True))}


def unknown_lane(s: Session, redis: Redis, prefix: str) -> dict[str, int]:
    """The prank flood's texts (numbers starting with `prefix`) by where they are now: handled by
    the unknown numbers' lane, waiting for it (stored or still parked in Redis), or over their
    number's hourly allowance (kept, never acted on)."""
    flood = InboundMessage.from_number.like(prefix + "%")
    rows = dict(s.execute(select(InboundMessage.outcome, func.count()).where(flood)
                          .group_by(InboundMessage.outcome)).all())
    parked = status.parked_texts(redis).unhandled
    waiting = rows.pop(None, 0) + parked
    throttled = rows.pop("throttled", 0)
    return {"handled": sum(rows.values()), "waiting": waiting, "throttled": throttled}


def lane_rate(before: dict[str, int], after: dict[str, int], seconds: float, budget: float) -> dict[str, Any]:
    """How fast the lane went between two counts, against its per-second budget."""
    done = after["handled"] - before["handled"]
    # Work-conserving: the budget's worth in the time, or everything there was, if less.
    due = min(budget * seconds, max(before["waiting"], after["waiting"] + done))
    return {**after, "handled_in_window": done, "seconds": round(seconds, 1),
            "per_second": round(done / seconds, 2) if seconds > 0 else None, "budget_per_second": budget,
            "share_of_due": round(done / due, 2) if due else 1.0}


def failed_jobs(s: Session, failed_ids: list[str]) -> dict[str, Any]:
    """Jobs RQ gave up on, and whether each became a backlog item (staff see it) as it must."""
    keys = {f"jobfail:{job_id.split('-', 1)[0]}:{job_id.split('-', 1)[-1]}": job_id for job_id in failed_ids}
    found = set(s.execute(select(BacklogItem.dedupe_key).where(BacklogItem.dedupe_key.in_(list(keys)))).scalars())
    return {"count": len(failed_ids), "explained_by_backlog_item": len(found),
            "unexplained": sorted(job for key, job in keys.items() if key not in found)[:20]}


def by_fault(outcomes: list[dict], faults: list[dict[str, Any]], current: dict[tuple[str, str], dict],
             grace: float = 60.0) -> list[dict[str, Any]]:
    """For each fault: the confirmations sent while it lasted (plus a grace period) and how they ended."""
    latest = latest_confirms(outcomes)
    out = []
    for fault in faults:
        lo, hi = fault["started"], fault["ended"] + grace
        inside = [(o["precinct"], c) for o in outcomes for c in o["confirms"] if lo <= c["yes_sent_at"] <= hi]
        # Only a stage's last confirmation must be current; an earlier one was corrected on purpose.
        lost = sum(1 for code, c in inside if latest[(code, c["stage"])] is c
                   and current.get((code, c["stage"])) != c["counts"])
        out.append({**fault, "confirmations": len(inside), "lost": lost,
                    "without_reply": sum(1 for _, c in inside if not c.get("answered", True))})
    return out


def current_counts(s: Session) -> dict[tuple[str, str], dict]:
    return {(p, st): c for p, st, c in s.execute(
        select(Precinct.code, Report.stage, Report.counts).join(Precinct, Precinct.id == Report.precinct_id)
        .where(Report.status == "current"))}


def end_to_end(s: Session, outcomes: list[dict]) -> list[tuple[float, float]]:
    """(yes_sent_at, seconds until the report was recorded) for every confirmation."""
    confirmed: dict[tuple[str, str], list[float]] = defaultdict(list)
    for code, stage, at in s.execute(select(Precinct.code, Report.stage, Report.recorded_at)
                                     .join(Precinct, Precinct.id == Report.precinct_id)
                                     .where(Report.recorded_at.is_not(None))):
        confirmed[(code, stage)].append(at.timestamp())
    pairs = []
    for out in outcomes:
        for c in out["confirms"]:
            later = [t for t in confirmed.get((out["precinct"], c["stage"]), []) if t >= c["yes_sent_at"] - 0.001]
            if later:
                pairs.append((c["yes_sent_at"], min(later) - c["yes_sent_at"]))
    return pairs


def sending(redis: Redis, s: Session, configured_rate: float, numbers: int = 1,
            since: float | None = None) -> dict[str, Any]:
    """Per-number and total sending rate, how long each priority waited to go out, and how much
    of the configured capacity (`numbers` x `configured_rate`) was used while texts waited."""
    sends = [json.loads(x) for x in redis.lrange("drill:sent", 0, -1)]
    by_number: dict[str, list[float]] = defaultdict(list)
    for number, at in sends:
        by_number[number].append(at)
    worst_1s = max((_max_in_window(sorted(t), 1.0) for t in by_number.values()), default=0)
    worst_10s = max((_max_in_window(sorted(t), 10.0) for t in by_number.values()), default=0)
    span = (max(t for _, t in sends) - min(t for _, t in sends)) if len(sends) > 1 else 0
    waits: dict[int, list[float]] = defaultdict(list)
    times: dict[int, list[tuple[float, float]]] = defaultdict(list)
    waiting: list[tuple[float, float]] = []
    for prio, created, sent, attempts in s.execute(
            select(OutboundMessage.priority, OutboundMessage.created_at, OutboundMessage.sent_at,
                   OutboundMessage.attempts).where(OutboundMessage.sent_at.is_not(None))):
        waits[prio].append((sent - created).total_seconds())
        if attempts <= 1 or prio:  # a confirmation in retry back-off is not waiting its turn
            times[prio].append((created.timestamp(), sent.timestamp()))
        if attempts <= 1:
            waiting.append((created.timestamp(), sent.timestamp()))
    return {"messages": len(sends), "numbers_used": len(by_number),
            "overall_per_second": round(len(sends) / span, 1) if span else None,
            "configured_per_number": configured_rate,
            "capacity_per_second": numbers * configured_rate,
            "max_in_any_1s_per_number": worst_1s,
            # 10-second windows: a request's network jitter can squeeze two sends closer than 1 s
            "max_in_any_10s_per_number": worst_10s,
            "queue_wait_s": {f"priority_{p}": {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99)}
                             for p, v in sorted(waits.items())},
            "other_sent_while_confirmation_waited": _inversions(times[0], times[1]),
            "other_messages_sent": len(times[1]),
            "while_texts_waited": use_of_capacity(waiting, [at for _, at in sends], numbers * configured_rate,
                                                  since)}


BACKLOG_WINDOW = 5.0  # seconds; one second is too short to tell a backlog from one send's jitter


def use_of_capacity(messages: list[tuple[float, float]], sent_at: list[float], capacity: float,
                    since: float | None = None, width: float = BACKLOG_WINDOW) -> dict[str, Any]:
    """How much of the sending capacity was used in the windows when a backlog waited throughout.

    `messages` are (created, sent) times of texts sent at their first try (retries wait on
    purpose); a text counts as waiting at t once it is a second old and not yet sent. A window
    is backlogged when at least a second's capacity waits at its start and at its end: the
    senders then had work the whole time, so anything under capacity is the senders' own pace.
    """
    if not messages or not sent_at or capacity <= 0:
        return {"windows": 0, "seconds": 0, "share_of_capacity_p50": None, "share_of_capacity_min": None}
    created, sends = sorted(c for c, _ in messages), sorted(sent_at)
    last = max(s for _, s in messages)

    def backlog(t: float) -> int:
        # created at least a second before t, minus those already sent by t
        old = bisect.bisect_right(created, t - 1.0)
        return old - sum(1 for c, s in messages if s <= t and c <= t - 1.0)

    start = since if since is not None else created[0]
    shares: list[float] = []
    t = start
    while t + width <= last:
        if min(backlog(t), backlog(t + width)) >= capacity:
            n = bisect.bisect_left(sends, t + width) - bisect.bisect_left(sends, t)
            shares.append(n / (width * capacity))
        t += width
    return {"windows": len(shares), "seconds": round(len(shares) * width),
            "share_of_capacity_p50": percentile(shares, 0.5), "share_of_capacity_min": percentile(shares, 0.0)}


def _inversions(first: list[tuple[float, float]], rest: list[tuple[float, float]], grace: float = 2.0) -> int:
    """Lower-priority sends made while a confirmation older than `grace` seconds still waited."""
    first = sorted(first)
    created = [c for c, _ in first]
    latest_sent, running = [], float("-inf")
    for _, sent in first:
        running = max(running, sent)
        latest_sent.append(running)
    count = 0
    for _, sent in rest:
        i = bisect.bisect_left(created, sent - grace)
        if i and latest_sent[i - 1] > sent:
            count += 1
    return count


def _max_in_window(times: list[float], width: float) -> int:
    worst, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= width:
            left += 1
        worst = max(worst, right - left + 1)
    return worst


OUTAGE_AFTERMATH = 5.0  # seconds after an outage ends during which its backlog still shows


def server_times(access_log: Path, half: float, outages: Sequence[tuple[float, float]] = ()) -> dict[str, list[float]]:
    """The server's own milliseconds per webhook from gunicorn's access log, by client and phase.

    Chairs' texts sent during an outage (a killed worker, Redis or the database down) are kept
    apart, so that the flood's effect on chairs is judged on the flood alone.
    """
    out: dict[str, list[float]] = defaultdict(list)
    if not access_log.exists():
        return out
    with open(access_log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 5 or not parts[4].isdigit():
                continue
            client, at, _path, _status, micros = parts
            try:
                sent = float(at)
            except ValueError:
                continue
            if client == "chair":
                if any(lo <= sent <= hi + OUTAGE_AFTERMATH for lo, hi in outages):
                    client = "chairs_during_outages"
                else:
                    client = "chairs_before_flood" if sent < half else "chairs_during_flood"
            out[client].append(int(micros) / 1000)
    return out


def _item_id(detail: dict | None) -> int | None:
    value = (detail or {}).get("item_id")
    return int(value) if str(value).isdigit() else None


def staff_and_queue(s: Session, now: datetime | None = None) -> dict[str, Any]:
    """The night's figures as the administrators' page shows them (services/console/figures.py,
    redone from the rows): per staff member from the log's staff entries, and the open items by
    kind with the oldest wait."""
    now = now or utcnow()
    events = [(kind, actor, _item_id(detail), at) for kind, actor, detail, at in s.execute(
        select(LogEntry.kind, LogEntry.actor, LogEntry.detail, LogEntry.at)
        .where(LogEntry.kind.in_(staff_figures.KINDS)).order_by(LogEntry.seq))]
    accounts = set(s.execute(select(StaffUser.username)).scalars())  # not "system" closing items itself
    staff = {actor: {"resolved": f.resolved, "approved": f.approved, "median_claim_to_resolve_s": f.median_seconds}
             for actor, f in sorted(staff_figures.tally(events).items()) if actor in accounts}
    kinds = {}
    for kind, n, oldest in s.execute(select(BacklogItem.kind, func.count(), func.min(BacklogItem.created_at))
                                     .where(BacklogItem.resolved_at.is_(None)).group_by(BacklogItem.kind)):
        if oldest is not None and oldest.tzinfo is None:  # SQLite's MIN() comes back without its zone
            oldest = oldest.replace(tzinfo=now.tzinfo)
        kinds[kind] = {"waiting": n, "oldest_wait_s": round((now - oldest).total_seconds(), 1) if oldest else None}
    ages = [k["oldest_wait_s"] for k in kinds.values() if k["oldest_wait_s"] is not None]
    return {"staff": staff, "queue": {"waiting": sum(k["waiting"] for k in kinds.values()), "by_kind": kinds,
                                      "oldest_wait_s": max(ages) if ages else None}}
