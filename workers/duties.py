"""Scheduled housekeeping, one RQ job per duty: each runs, fails and is retried on its own.

`schedule` queues them (once per slot across all workers). `sweep_once` runs every duty here and
now, for `hotline sweep` and the tests.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hotline.config import Config
from hotline.services.ops import reconcile, recovery, reminders
from workers.context import JobRuntime, current

logger = logging.getLogger(__name__)


def flush_parked() -> int:
    """Move texts parked in Redis during a flood into the database."""
    rt = current()
    return recovery.flush_parked(rt.units, rt.redis)


def requeue_texts() -> int:
    """Queue inbox rows that never got a job (the unknown lane within its budget)."""
    rt = current()
    return recovery.requeue_texts(rt.units, rt.queues.waiting_ids())


def requeue_replies() -> int:
    """Queue outbox rows that never got a job."""
    rt = current()
    return recovery.requeue_replies(rt.units, rt.queues.waiting_ids())


def settle_sends() -> int:
    """Ask Twilio about sends whose worker died before recording the answer."""
    rt = current()
    return recovery.settle_sends(rt.units, rt.sender)


def remind_incomplete() -> int:
    """Remind chairs whose precinct is missing a stage long after the first."""
    return reminders.remind_incomplete(current().units)


def reconcile_inbound() -> int:
    """Store texts Twilio has whose webhook never reached us."""
    rt = current()
    return reconcile.reconcile(rt.units, rt.sender)


def checkpoint() -> None:
    """Copy SQLite's write-ahead log into the database file."""
    recovery.checkpoint(current().units)


@dataclass(frozen=True)
class Duty:
    name: str
    job: Callable[[], object]
    every: Callable[[Config], float]  # seconds between runs


def _sweep(cfg: Config) -> float:
    return cfg.sweep_interval_seconds


DUTIES = (
    Duty("flush-parked", flush_parked, _sweep),
    Duty("requeue-texts", requeue_texts, _sweep),
    Duty("requeue-replies", requeue_replies, _sweep),
    Duty("settle-sends", settle_sends, _sweep),
    Duty("remind-incomplete", remind_incomplete, _sweep),
    Duty("reconcile", reconcile_inbound, lambda cfg: 60.0),  # one listing of Twilio's log a minute
    Duty("checkpoint", checkpoint, _sweep),
)


def sweep_once(rt: JobRuntime, stale_seconds: float | None = None,
               reconcile_too: bool = True) -> dict[str, int]:
    """Run every duty now, in this process (this host's spool first); what each one moved.

    `reconcile_too`: also list Twilio's message log (a loop asks for that once a minute only).
    """
    counts = {"spooled": _guarded("flush-spool", lambda: recovery.flush_spool(rt.units))}
    waiting = rt.queues.waiting_ids()
    steps: dict[str, Callable[[], object]] = {
        "parked": lambda: recovery.flush_parked(rt.units, rt.redis),
        "inbound": lambda: recovery.requeue_texts(rt.units, waiting, stale_seconds),
        "outbound": lambda: recovery.requeue_replies(rt.units, waiting, stale_seconds),
        "settled": lambda: recovery.settle_sends(rt.units, rt.sender, stale_seconds),
        "incomplete": lambda: reminders.remind_incomplete(rt.units),
        "reconciled": lambda: reconcile.reconcile(rt.units, rt.sender) if reconcile_too else 0,
        "checkpoint": lambda: recovery.checkpoint(rt.units),
    }
    for name, step in steps.items():
        counts[name] = _guarded(name, step)
    return counts


def _guarded(name: str, step: Callable[[], object]) -> int:
    """One duty's count; a failing duty is logged and counts 0, and the others still run."""
    try:
        return int(step() or 0)
    except Exception:  # noqa: BLE001 - one duty's failure must not stop the others
        logger.exception("the %s duty failed", name)
        return 0
