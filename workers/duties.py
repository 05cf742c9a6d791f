"""Scheduled housekeeping, one RQ job per duty: each runs, fails and is retried on its own.

`DUTIES` is the one list of them: `schedule` queues each as `run_duty(name)` once per slot across
all workers, and `sweep_once` runs every one here and now, for `hotline sweep` and the tests.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hotline.config import Config
from hotline.services.log import checkpoints
from hotline.services.ops import reconcile, recovery, reminders, traffic
from workers.context import JobRuntime, current

logger = logging.getLogger(__name__)

# A duty's work: the runtime, and how old a lost row must be before it is picked up again (None:
# the configured `sweep_stale_seconds`); what it moved, sent or found.
Work = Callable[[JobRuntime, "float | None"], "int | None"]


@dataclass(frozen=True)
class Duty:
    name: str        # in the job id (`duty-<name>-<slot>`) and the logs
    counted_as: str  # its key in `sweep_once`'s counts
    every: Callable[[Config], float]  # seconds between runs
    run: Work


def _sweep(cfg: Config) -> float:
    return cfg.sweep_interval_seconds


DUTIES = (
    Duty("flush-parked", "parked", _sweep,  # texts parked in Redis during a flood, into the database
         lambda rt, _stale: recovery.flush_parked(rt.units, rt.redis)),
    Duty("requeue-texts", "inbound", _sweep,  # inbox rows that never got a job
         lambda rt, stale: recovery.requeue_texts(rt.units, rt.queues.waiting_ids(), stale)),
    Duty("requeue-replies", "outbound", _sweep,  # outbox rows that never got a job
         lambda rt, stale: recovery.requeue_replies(rt.units, rt.queues.waiting_ids(), stale)),
    Duty("requeue-photos", "photos", _sweep,  # worksheet photos waiting for a download that has no job
         lambda rt, stale: recovery.requeue_photos(rt.units, rt.queues.waiting_ids(), stale)),
    Duty("settle-sends", "settled", _sweep,  # sends whose worker died before recording Twilio's answer
         lambda rt, stale: recovery.settle_sends(rt.units, rt.sender, stale)),
    Duty("remind-incomplete", "incomplete", _sweep,  # precincts missing a stage long after the first
         lambda rt, _stale: reminders.remind_incomplete(rt.units)),
    Duty("reconcile", "reconciled", lambda _cfg: 60.0,  # one listing of Twilio's message log a minute
         lambda rt, _stale: reconcile.reconcile(rt.units, rt.sender)),
    Duty("checkpoint", "checkpoint", _sweep,  # SQLite's write-ahead log into the database file
         lambda rt, _stale: recovery.checkpoint(rt.units)),
    Duty("log-refusals", "refusals", lambda _cfg: 60.0,  # last minute's refused webhooks: one log entry
         lambda rt, _stale: traffic.log_last_minute(rt.units, rt.redis)),
    Duty("log-checkpoint", "log_checkpoint", lambda cfg: max(1.0, float(cfg.checkpoint_interval_seconds)),
         lambda rt, _stale: checkpoints.take_if_grown(rt.units, rt.redis)),  # sign the log if it grew
)
BY_NAME = {duty.name: duty for duty in DUTIES}


def run_duty(name: str) -> int:
    """The RQ job for one scheduled run of the duty `name`."""
    return int(BY_NAME[name].run(current(), None) or 0)


def sweep_once(rt: JobRuntime, stale_seconds: float | None = None,
               reconcile_too: bool = True) -> dict[str, int]:
    """Run every duty now, in this process (this host's spool first); what each one moved.

    `reconcile_too`: also list Twilio's message log (a loop asks for that once a minute only).
    """
    counts = {"spooled": _guarded("flush-spool", lambda: recovery.flush_spool(rt.units))}
    for duty in DUTIES:
        skip = duty.name == "reconcile" and not reconcile_too
        counts[duty.counted_as] = 0 if skip else _guarded(duty.name, lambda d=duty: d.run(rt, stale_seconds))
    return counts


def _guarded(name: str, step: Callable[[], object]) -> int:
    """One duty's count; a failing duty is logged and counts 0, and the others still run."""
    try:
        return int(step() or 0)  # type: ignore[call-overload]
    except Exception:  # noqa: BLE001 - one duty's failure must not stop the others
        logger.exception("the %s duty failed", name)
        return 0
