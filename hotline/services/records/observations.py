"""Observers and their observations: who they are, their read-backs and codes, and confirmation.

An observer reports as a chair does (same text format, same read-back and YES code), for the
precincts they are assigned to, from their registered phones. A confirmed observation never
counts and never changes a chair's report: it is compared with it (services/records/sources.py).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import Observation, Observer, ObserverPhone, ObserverPrecinct, Precinct, utcnow
from hotline.domain import lifecycle, verification
from hotline.domain.model import Stage
from hotline.domain.verification import CodeCheck, CodeState
from hotline.services.log import chain
from hotline.services.records import reports, sources
from hotline.services.units import UnitOfWork

AWAITING, CONFIRMED = "awaiting", "confirmed"
REPLACED, EXPIRED, LOCKED, CANCELLED = "replaced", "expired", "locked", "cancelled"

OBSERVER_OF_PHONE = (select(Observer).join(ObserverPhone, ObserverPhone.observer_id == Observer.id)
                     .where(ObserverPhone.phone == bindparam("phone")))
PENDING_FOR_PHONE = (select(Observation).where(Observation.phone == bindparam("phone"), Observation.status == AWAITING)
                     .order_by(Observation.id.desc()))


def for_phone(s: Session, phone: str) -> Observer | None:
    """The observer who registered this phone, if any."""
    return s.execute(OBSERVER_OF_PHONE, {"phone": phone}).scalars().first()


def precincts_of(s: Session, observer: Observer) -> list[Precinct]:
    """The precincts the observer is assigned to, in roster order."""
    return [a.precinct for a in s.execute(select(ObserverPrecinct).where(
        ObserverPrecinct.observer_id == observer.id).order_by(ObserverPrecinct.id)).scalars()]


def pending_for_phone(s: Session, phone: str) -> list[Observation]:
    return list(s.execute(PENDING_FOR_PHONE, {"phone": phone}).scalars())


@dataclass(frozen=True)
class Issued:
    observation: Observation
    code: str


def issue(uow: UnitOfWork, observer: Observer, precinct: Precinct,
          sections: Sequence[tuple[Stage, Mapping[str, int]]], attendance: int | None, phone: str,
          source: str, inbound_id: int | None = None) -> Issued:
    """Store the observer's counts awaiting their YES, with a one-time code (a newer read-back for
    the same stages replaces an older unconfirmed one)."""
    s, now = uow.session, utcnow()
    stages = {stage.value for stage, _ in sections}
    for old in s.execute(select(Observation).where(Observation.observer_id == observer.id,
                                                   Observation.precinct_id == precinct.id,
                                                   Observation.status == AWAITING)).scalars():
        if stages & set(old.stages):
            old.status = REPLACED
    code = verification.new_code()
    row = Observation(observer_id=observer.id, precinct_id=precinct.id, source=source, phone=phone,
                      stages={stage.value: dict(counts) for stage, counts in sections}, attendance=attendance,
                      status=AWAITING, code_hash=verification.hash_code(code, uow.config.secret_key),
                      expires_at=verification.expiry(now, uow.config.code_ttl_seconds), inbound_id=inbound_id)
    s.add(row)
    s.flush()
    chain.record(s, "observation_code_sent", precinct=precinct.code, phone=phone, observation_id=row.id,
                 organisation=observer.organisation, source=source, stages=sorted(stages))
    return Issued(row, code)


def code_state(row: Observation) -> CodeState:
    return CodeState(row.code_hash, row.expires_at, row.attempts, row.status != AWAITING)


@dataclass(frozen=True)
class Checked:
    """What a YES from an observer's phone came to."""

    outcome: str  # confirmed | wrong_code | code_locked | code_expired | nothing_pending
    observation: Observation | None = None
    comparisons: tuple[sources.Comparison, ...] = ()
    tries_left: int = 0


def check(uow: UnitOfWork, phone: str, code: str, now: datetime) -> Checked:
    """Confirm the pending observation `code` belongs to, or count a wrong try."""
    s, cfg = uow.session, uow.config
    pending = pending_for_phone(s, phone)
    if not pending:
        return Checked("nothing_pending")
    wrong: list[Observation] = []
    for row in pending:
        verdict = verification.check_code(code, code_state(row), cfg.secret_key, now, cfg.code_max_attempts)
        if verdict is CodeCheck.OK:
            chain.record(s, "code_checked", precinct=row.precinct.code, phone=phone, ok=True, observation_id=row.id)
            return Checked("confirmed", row, tuple(confirm(uow, row, actor=phone)))
        if verdict is CodeCheck.EXPIRED:
            row.status = EXPIRED
        elif verdict is CodeCheck.WRONG:
            wrong.append(row)
        else:
            row.status = LOCKED
    if not wrong:
        chain.record(s, "code_checked", phone=phone, ok=False, reason="expired or locked", observer=True)
        return Checked("code_expired")
    left = cfg.code_max_attempts
    for row in wrong:
        tried = lifecycle.wrong_code(row.attempts, cfg.code_max_attempts)
        row.attempts, left = tried.attempts, min(left, tried.left)
        if tried.locked:
            row.status = LOCKED
        chain.record(s, "code_checked", precinct=row.precinct.code, phone=phone, ok=False, observation_id=row.id,
                     attempts=row.attempts)
    return Checked("code_locked" if left <= 0 else "wrong_code", tries_left=max(left, 0))


def confirm(uow: UnitOfWork, row: Observation, actor: str) -> list[sources.Comparison]:
    """The observer's counts are confirmed: logged and compared with the chair's recorded figures."""
    s = uow.session
    row.status, row.confirmed_at = CONFIRMED, utcnow()
    chain.record(s, "observation_confirmed", precinct=row.precinct.code, phone=row.phone, actor=actor,
                 observation_id=row.id, organisation=row.observer.organisation, source=row.source,
                 stages=row.stages, attendance=row.attendance)
    chair = {stage: r.counts for stage, r in reports.current_reports(s, row.precinct_id).items()}
    uow.after_commit(uow.jobs.results_changed)  # "2 sources agree" on the public pages
    return sources.reconcile(uow, row.precinct, chair, "observation", actor)


def record_by_voice(uow: UnitOfWork, observer: Observer, precinct: Precinct,
                    sections: Sequence[tuple[Stage, Mapping[str, int]]], attendance: int | None,
                    phone: str, call_sid: str | None = None) -> list[sources.Comparison]:
    """Counts keyed on the voice line, confirmed at once: the observer heard them read back and
    pressed 1, which stands for the code (the code is made and logged as by SMS, never sent)."""
    row = issue(uow, observer, precinct, sections, attendance, phone, "voice").observation
    chain.record(uow.session, "code_checked", precinct=precinct.code, phone=phone, ok=True,
                 observation_id=row.id, method="keypad read-back on the voice line", call_sid=call_sid)
    return confirm(uow, row, actor=phone)


def cancel(uow: UnitOfWork, phone: str) -> list[Observation]:
    """CANCEL from an observer: their unconfirmed read-backs are dropped."""
    rows = pending_for_phone(uow.session, phone)
    for row in rows:
        row.status = CANCELLED
        chain.record(uow.session, "observation_cancelled", precinct=row.precinct.code, phone=phone,
                     observation_id=row.id)
    return rows


def confirmed_for(s: Session, observer: Observer) -> list[Observation]:
    """The observer's confirmed observations tonight, newest first (for STATUS)."""
    return list(s.execute(select(Observation).where(Observation.observer_id == observer.id,
                                                    Observation.status == CONFIRMED)
                          .order_by(Observation.id.desc()).limit(10)).scalars())
