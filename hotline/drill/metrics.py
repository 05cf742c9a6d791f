"""What the drill checks after the night: nothing lost, nothing twice, every reply sent, rates held."""
from __future__ import annotations

import bisect
import json
from collections import defaultdict
from typing import Any

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.drill.load import percentile
from hotline.models import OutboundMessage, Precinct, Report, Submission


def integrity(s: Session, outcomes: list[dict], chair_phones: set[str]) -> dict[str, int]:
    """Counts that must be zero: reports lost, recorded twice, replies never sent."""
    current = {(p, st): c for p, st, c in s.execute(
        select(Precinct.code, Report.stage, Report.counts).join(Precinct, Precinct.id == Report.precinct_id)
        .where(Report.status == "current"))}
    expected: dict[tuple[str, str], dict] = {}
    made: dict[tuple[str, str], int] = defaultdict(int)
    for out in outcomes:
        for c in out["confirms"]:
            expected[(out["precinct"], c["stage"])] = c["counts"]  # the last confirmed version counts
            made[(out["precinct"], c["stage"])] += 1
    lost = sum(1 for key, counts in expected.items() if current.get(key) != counts)
    duplicates = s.execute(select(Report.precinct_id, Report.stage).where(Report.status == "current")
                           .group_by(Report.precinct_id, Report.stage).having(func.count() > 1)).all()
    confirmed = dict(s.execute(select(Precinct.code, func.count()).join(Submission, Submission.precinct_id == Precinct.id)
                               .where(Submission.status == "confirmed").group_by(Precinct.code)).all())
    per_precinct_made: dict[str, int] = defaultdict(int)
    for (code, _stage), n in made.items():
        per_precinct_made[code] += n
    extra = sum(max(0, confirmed.get(code, 0) - n) for code, n in per_precinct_made.items())
    unsent = s.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.to_number.in_(chair_phones), OutboundMessage.twilio_sid.is_(None))) or 0
    return {"reports_lost": lost, "reports_recorded_twice": len(duplicates) + extra,
            "replies_never_sent": unsent, "stages_expected": len(expected)}


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


def sending(redis: Redis, s: Session, configured_rate: float) -> dict[str, Any]:
    """Per-number and total sending rate, and how long each priority waited to go out."""
    sends = [json.loads(x) for x in redis.lrange("drill:sent", 0, -1)]
    by_number: dict[str, list[float]] = defaultdict(list)
    for number, at in sends:
        by_number[number].append(at)
    worst_1s = max((_max_in_window(sorted(t), 1.0) for t in by_number.values()), default=0)
    worst_10s = max((_max_in_window(sorted(t), 10.0) for t in by_number.values()), default=0)
    span = (max(t for _, t in sends) - min(t for _, t in sends)) if len(sends) > 1 else 0
    waits: dict[int, list[float]] = defaultdict(list)
    times: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for prio, created, sent in s.execute(select(OutboundMessage.priority, OutboundMessage.created_at,
                                                OutboundMessage.sent_at).where(OutboundMessage.sent_at.is_not(None))):
        waits[prio].append((sent - created).total_seconds())
        times[prio].append((created.timestamp(), sent.timestamp()))
    return {"messages": len(sends), "numbers_used": len(by_number),
            "overall_per_second": round(len(sends) / span, 1) if span else None,
            "configured_per_number": configured_rate,
            "max_in_any_1s_per_number": worst_1s,
            # 10-second windows: a request's network jitter can squeeze two sends closer than 1 s
            "max_in_any_10s_per_number": worst_10s,
            "queue_wait_s": {f"priority_{p}": {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99)}
                             for p, v in sorted(waits.items())},
            "other_sent_while_confirmation_waited": _inversions(times[0], times[1]),
            "other_messages_sent": len(times[1])}


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
