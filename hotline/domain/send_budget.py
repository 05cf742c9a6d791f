"""The send budget: how many texts and segments a caucus night costs, how long a read-back waits
at the peak, and how many sending numbers (or which kind) keep every read-back under two minutes.

Pure arithmetic and a small deterministic queue model; the `hotline plan` command and the admin
page only gather the inputs (the live roster, the settings) and print the answer.

Where a figure comes from is said next to it: *measured* figures come from the load drill
(docs/drill.md, run 7: 1,765 precincts reporting within a 5-minute burst, 10,904 texts sent,
read-backs and confirmations waiting p99 22.4 s on 50 numbers at 1 a second); *assumed* ones are
ours. Typical rates per number type are Twilio's (../shared/reference/twilio-rq.md, "Throughput":
https://support.twilio.com/hc/en-us/articles/1260804800549 ,
https://support.twilio.com/hc/en-us/articles/4411046744987 , https://www.twilio.com/docs/errors/30001).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Sequence

from hotline.domain.model import Stage
from hotline.domain.segments import segments
from hotline.domain.wording import sms as wording

TARGET_WAIT_SECONDS = 120.0  # every read-back out within two minutes of the chair's text

# --- What the drill measured (docs/drill.md, "An example summary", run 7) ---
DRILL_PRECINCTS = 1765
DRILL_TEXTS_SENT = 10904
DRILL_BURST_SECONDS = 300.0
DRILL_NUMBERS, DRILL_RATE = 50, 1.0
DRILL_READBACK_WAIT_P99 = 22.37  # queue wait of priority 0 (read-backs, codes, confirmations)
# The drill's plan of a night (hotline_drill/run.py make_plans): a chair starts within the first
# 45% of the burst, waits 5-20% of the burst between stages; 3% send a correction.
START_WITHIN, GAP_MIN, GAP_MAX = 0.45, 0.05, 0.20
CORRECTION_SHARE = 0.03
READING_SECONDS = (0.5, 2.0)  # reading the read-back before replying YES


@dataclass(frozen=True)
class NumberType:
    key: str
    rate: float          # segments a second per number, typical
    note: str
    source: str


NUMBER_TYPES: dict[str, NumberType] = {
    "long-code": NumberType("long-code", 1.0,
                            "1 segment/s per number historically; under A2P 10DLC the rate is set per brand "
                            "and campaign (political content needs Campaign Verify)",
                            "https://support.twilio.com/hc/en-us/articles/1260804800549"),
    "toll-free": NumberType("toll-free", 3.0,
                            "3 segments/s by default, 25-150 on request (High-Throughput); Twilio advises "
                            "against multiplying toll-free numbers for one use case",
                            "https://support.twilio.com/hc/en-us/articles/4411046744987"),
    "short-code": NumberType("short-code", 100.0, "more than 100 segments/s (an older FAQ says 30)",
                             "https://www.twilio.com/docs/errors/30001"),
}


@dataclass(frozen=True)
class Figure:
    """One input of the plan and where it comes from ("measured: ..." or "assumed: ...")."""

    name: str
    value: float
    source: str


@dataclass(frozen=True)
class Assumptions:
    """Per-precinct figures. The defaults are the drill's where it measured them."""

    burst_seconds: float = DRILL_BURST_SECONDS
    readbacks: float = 3.0 + CORRECTION_SHARE      # one per stage, plus the corrections'
    confirmations: float = 3.0 + CORRECTION_SHARE
    # Everything else a chair is sent during the night (answers to unreadable texts, "we texted
    # the chair" notices for a borrowed phone, STATUS/DONE answers): what the drill sent beyond
    # the read-backs and confirmations, per precinct.
    other_replies: float = round(DRILL_TEXTS_SENT / DRILL_PRECINCTS - 2 * (3.0 + CORRECTION_SHARE), 3)
    reminder_share: float = 0.25   # precincts sent a reminder blast
    broadcasts: int = 1            # broadcasts to every chair during the night
    readback_segments: int = 2
    confirmation_segments: int = 1
    other_segments: int = 1
    reminder_segments: int = 1
    broadcast_segments: int = 1
    segments_source: str = "assumed: a read-back of five candidates' first alignment"

    def figures(self) -> list[Figure]:
        drill = f"measured: the drill's night ({DRILL_TEXTS_SENT} texts to {DRILL_PRECINCTS} precincts)"
        return [
            Figure("burst seconds (all precincts report within)", self.burst_seconds,
                   "measured setting: the drill's 5-minute burst"),
            Figure("read-backs per precinct", self.readbacks,
                   "assumed: one per stage, plus the drill's 3% of chairs who send a correction"),
            Figure("confirmations per precinct", self.confirmations, "assumed: one per read-back confirmed"),
            Figure("other replies per precinct", self.other_replies,
                   f"{drill}, less the read-backs and confirmations"),
            Figure("share of precincts reminded", self.reminder_share, "assumed"),
            Figure("broadcasts to every chair", self.broadcasts, "assumed"),
            Figure("segments per read-back", self.readback_segments, self.segments_source),
            Figure("segments per confirmation", self.confirmation_segments, self.segments_source),
            Figure("segments per reminder", self.reminder_segments, self.segments_source),
            Figure("segments per broadcast", self.broadcast_segments, "assumed: one GSM-7 segment"),
        ]


def sample_segments(candidates: Sequence[str]) -> tuple[int, int, int]:
    """Segments of a typical read-back (one stage, two-digit counts, the attendance), a
    confirmation, and a reminder, in today's wording for these candidate names."""
    names = list(candidates)[:5] or ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"]  # five groups
    counts = {name: 40 + i for i, name in enumerate(names)}
    readback = wording.readback("DSM-142", [(Stage.FIRST, counts)], sum(counts.values()), "4821")
    confirmation = wording.recorded("DSM-142", [Stage.FIRST], [Stage.FINAL, Stage.DELEGATES])
    reminder = wording.blast_reminder(["DSM-142"], [Stage.FINAL, Stage.DELEGATES])
    return segments(readback), segments(confirmation), segments(reminder)


def sending_seconds(total_segments: float, numbers: int, rate: float) -> float:
    """How long `total_segments` take on `numbers` sending numbers at `rate` segments a second each."""
    if numbers <= 0 or rate <= 0:
        raise ValueError("numbers and rate must be positive")
    return total_segments / (numbers * rate)


def _arrivals(precincts: int, a: Assumptions, seed: int) -> list[tuple[float, int]]:
    """(time, segments) of every priority-0 text (read-backs, confirmations, other replies) in the
    burst, the drill's plan of a night played on paper."""
    rng = random.Random(seed)
    burst = a.burst_seconds
    other_whole, other_part = int(a.other_replies), a.other_replies - int(a.other_replies)
    out: list[tuple[float, int]] = []
    for _ in range(precincts):
        t = rng.uniform(0, START_WITHIN * burst)
        for stage in range(3):
            tries = 2 if stage == 0 and rng.random() < CORRECTION_SHARE else 1
            for _ in range(tries):
                out.append((t, a.readback_segments))
                t += rng.uniform(*READING_SECONDS)
                out.append((t, a.confirmation_segments))
            if stage < 2:
                t += rng.uniform(GAP_MIN * burst, GAP_MAX * burst)
        for _ in range(other_whole + (rng.random() < other_part)):
            out.append((rng.uniform(0, burst), a.other_segments))
    out.sort()
    return out


def waits(arrivals: Sequence[tuple[float, int]], capacity: float) -> list[float]:
    """Seconds each text waits until it has gone out, first come first served, on a pool sending
    `capacity` segments a second (senders take whichever number is free)."""
    free, out = 0.0, []
    for at, cost in arrivals:
        free = max(free, at) + cost / capacity
        out.append(free - at)
    return out


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else 0.0


# The queue is played for at most this many precincts; beyond, the capacity is scaled down in
# proportion (the wait depends on capacity per precinct), so a national plan answers at once.
SAMPLE_PRECINCTS = 4000


@dataclass(frozen=True)
class Peak:
    max_wait: float
    p99_wait: float


def peak_wait(precincts: int, numbers: int, rate: float, a: Assumptions = Assumptions(),
              seed: int = 7) -> Peak:
    """The longest (and 99th-percentile) wait of a read-back or confirmation in the burst."""
    if precincts <= 0:
        return Peak(0.0, 0.0)
    sample = min(precincts, SAMPLE_PRECINCTS)
    capacity = numbers * rate * sample / precincts
    w = waits(_arrivals(sample, a, seed), capacity)
    return Peak(max(w), _pct(w, 0.99))


def numbers_needed(precincts: int, rate: float, a: Assumptions = Assumptions(),
                   target: float = TARGET_WAIT_SECONDS, seed: int = 7) -> int:
    """The fewest sending numbers at `rate` that keep every read-back under `target` seconds."""
    if precincts <= 0:
        return 1
    sample = min(precincts, SAMPLE_PRECINCTS)
    arrivals = _arrivals(sample, a, seed)

    def ok(k: int) -> bool:
        return max(waits(arrivals, k * rate * sample / precincts)) < target

    hi = 1
    while not ok(hi):
        hi *= 2
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


@dataclass(frozen=True)
class Line:
    what: str
    texts: float
    segments: float


@dataclass(frozen=True)
class Option:
    """A number type at its typical rate and how many of it the night needs."""

    kind: NumberType
    numbers: int


@dataclass(frozen=True)
class Plan:
    precincts: int
    numbers: int
    rate: float
    number_type: str | None
    lines: list[Line]
    texts: float
    segments: float
    night_sending_seconds: float      # every text of the night back to back
    reminder_sending_seconds: float   # one reminder blast
    broadcast_sending_seconds: float  # one broadcast to every chair
    peak: Peak                        # read-back waits in the burst, at these numbers and rate
    numbers_needed: int               # at this rate, for every read-back under the target
    options: list[Option]
    figures: list[Figure] = field(default_factory=list)
    target_seconds: float = TARGET_WAIT_SECONDS

    @property
    def meets_target(self) -> bool:
        return self.peak.max_wait < self.target_seconds


def plan(precincts: int, numbers: int, rate: float, a: Assumptions = Assumptions(),
         number_type: str | None = None) -> Plan:
    """The night's budget for `precincts` on `numbers` sending numbers at `rate` segments a second."""
    if precincts < 0:
        raise ValueError("precincts must be 0 or more")
    if numbers <= 0 or rate <= 0:
        raise ValueError("numbers and rate must be positive")
    if number_type is not None and number_type not in NUMBER_TYPES:
        raise ValueError(f"number type must be one of {', '.join(NUMBER_TYPES)}")
    p = precincts
    lines = [
        Line("read-backs", p * a.readbacks, p * a.readbacks * a.readback_segments),
        Line("confirmations", p * a.confirmations, p * a.confirmations * a.confirmation_segments),
        Line("other replies (errors, notices, STATUS)", p * a.other_replies, p * a.other_replies * a.other_segments),
        Line("reminders", p * a.reminder_share, p * a.reminder_share * a.reminder_segments),
        Line("broadcasts", p * a.broadcasts, p * a.broadcasts * a.broadcast_segments),
    ]
    texts = sum(line.texts for line in lines)
    segs = sum(line.segments for line in lines)
    options = [Option(kind, numbers_needed(p, kind.rate, a)) for kind in NUMBER_TYPES.values()]
    return Plan(p, numbers, rate, number_type, lines, texts, segs,
                sending_seconds(segs, numbers, rate),
                sending_seconds(lines[3].segments, numbers, rate),
                sending_seconds(lines[4].segments, numbers, rate),
                peak_wait(p, numbers, rate, a), numbers_needed(p, rate, a), options, a.figures())


def duration(seconds: float) -> str:
    """`45 s`, `3 min 20 s`, `1 h 5 min`."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {(s % 3600) // 60} min"
