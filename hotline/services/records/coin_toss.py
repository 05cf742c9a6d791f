"""Coin tosses: recording who won the toss that decided a precinct's delegates, and re-checking.

A chair records it by text (`COIN Sanders`) or on the voice line, staff in the console. The
newest row for a precinct counts. Recording re-runs the precinct's checks on its newest
confirmed submission (a toss that contradicts the reported delegates holds the precinct, one
that explains them lets it through) and tells the public feed, like a confirmation does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CoinTossRow, LogEntry, Precinct, utcnow
from hotline.domain import coin_toss as tosses
from hotline.domain.model import Stage
from hotline.services.log import chain as vlog
from hotline.services.records import backlog, checking, feed, reports
from hotline.services.units import UnitOfWork

CHANNELS = ("sms", "voice", "staff")

LATEST = (select(CoinTossRow).where(CoinTossRow.precinct_id == bindparam("precinct_id"))
          .order_by(CoinTossRow.id.desc()).limit(1))
LOG_SEQ = (select(LogEntry.seq).where(LogEntry.kind == "coin_toss_recorded",
                                      LogEntry.precinct_code == bindparam("code"))
           .order_by(LogEntry.seq.desc()).limit(1))


@dataclass(frozen=True)
class CoinToss:
    """A recorded coin toss, as the public precinct page shows it (nothing personal)."""

    winners: tuple[str, ...]
    groups: tuple[str, ...]
    channel: str           # sms | voice | staff
    recorded_at: datetime
    log_seq: int | None    # seq of its coin_toss_recorded log entry


class TossRefused(ValueError):
    """A toss that cannot be recorded; `reason` is no_delegates, no_tie or not_in_tie."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Recorded:
    toss: CoinToss
    previous: CoinToss | None  # the toss this one replaces, if any
    findings: list[checking.Finding]
    flagged: bool


@dataclass(frozen=True)
class TossState:
    """What staff see of a precinct's coin toss: the ties to decide and the newest record."""

    ties: tuple[tuple[str, ...], ...]    # one tuple of tied groups per toss (empty: no toss)
    latest: CoinToss | None
    recorded_by: str | None              # phone or staff username: staff eyes only
    applies: bool                        # the newest record decides the current tie


def _toss(row: CoinTossRow) -> CoinToss:
    return CoinToss(tuple(row.winners), tuple(row.groups), row.channel, row.recorded_at, row.log_seq)


def _latest_row(s: Session, precinct_id: int) -> CoinTossRow | None:
    return s.execute(LATEST, {"precinct_id": precinct_id}).scalars().first()


def latest(s: Session, precinct_id: int) -> CoinToss | None:
    """The precinct's newest recorded coin toss (None: none recorded)."""
    row = _latest_row(s, precinct_id)
    return _toss(row) if row is not None else None


def ties(s: Session, precinct: Precinct) -> tuple[tuple[str, ...], ...]:
    """The coin tosses the precinct's confirmed figures leave open (one tuple of tied groups each)."""
    return tosses.questions(checking.evaluation(s, precinct).allocation)


def state(s: Session, precinct: Precinct) -> TossState:
    alloc = checking.evaluation(s, precinct).allocation
    row = _latest_row(s, precinct.id)
    return TossState(tosses.questions(alloc), _toss(row) if row is not None else None,
                     row.recorded_by if row is not None else None,
                     row is not None and tosses.applies(alloc, row.winners))


def record(uow: UnitOfWork, precinct: Precinct, winners: Sequence[str], channel: str,
           recorded_by: str) -> Recorded:
    """Record who won the precinct's coin toss(es), re-check its newest report, tell the feed.

    Raises TossRefused (and stores nothing) when the precinct has no confirmed delegates, no tie,
    or a winner is not one of the tied groups."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    s = uow.session
    current = reports.current_reports(s, precinct.id)
    delegates = current.get(Stage.DELEGATES)
    if delegates is None:
        raise TossRefused("no_delegates", f"{precinct.code} has no confirmed county delegates yet")
    alloc = checking.evaluation(s, precinct).allocation
    try:
        chosen = tosses.check_winners(alloc, list(winners))
    except tosses.WinnerProblem as problem:
        raise TossRefused("not_in_tie" if tosses.questions(alloc) else "no_tie", str(problem)) from None
    assert alloc is not None
    before = _latest_row(s, precinct.id)
    previous = _toss(before) if before is not None else None
    groups = list(alloc.tied_groups)
    row = CoinTossRow(precinct_id=precinct.id, submission_id=delegates.submission_id, winners=list(chosen),
                      groups=groups, channel=channel, recorded_by=recorded_by, recorded_at=utcnow())
    s.add(row)
    s.flush()
    vlog.record(s, "coin_toss_recorded", precinct=precinct.code,
                phone=recorded_by if channel != "staff" else None, actor=recorded_by,
                winners=list(chosen), groups=groups, channel=channel, submission_id=delegates.submission_id,
                replaces=previous.winners if previous else None)
    vlog.flush(s)  # the toss names its log entry's seq (the public record points at it)
    row.log_seq = s.execute(LOG_SEQ, {"code": precinct.code}).scalar()
    findings, flagged = recheck(uow, precinct, f"coin toss recorded ({channel})")
    feed.note(s, precinct.id, precinct.code, channel, "coin_toss")
    uow.after_commit(uow.jobs.results_changed)
    return Recorded(_toss(row), previous, findings, flagged)


def recheck(uow: UnitOfWork, precinct: Precinct, why: str) -> tuple[list[checking.Finding], bool]:
    """Re-run the checks on the precinct's newest confirmed submission and update its findings,
    its flag and the precinct's failed-check item, as a confirmation does."""
    s = uow.session
    sub = reports.latest_confirmed(s, precinct.id)
    findings = checking.current(s, precinct)
    if sub is None:
        return findings, False
    sub.findings = checking.as_json(findings)
    sub.flagged = checking.is_flagged(findings)
    key = f"check:{precinct.code}"
    if sub.flagged:
        summary = f"{precinct.code}: " + checking.summary(findings)
        item = backlog.open_item(s, "failed_check", precinct_id=precinct.id, phone=sub.confirm_phone,
                                 submission_id=sub.id, dedupe_key=key, summary=summary)
        item.summary, item.submission_id = summary, sub.id
    else:
        backlog.auto_resolve(s, key, f"the report passes the checks after the {why}")
    s.flush()
    return findings, sub.flagged
