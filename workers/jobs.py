"""RQ job functions: small, importable, idempotent; exceptions escape so RQ can retry."""
from __future__ import annotations

from typing import Any

from rq.job import Job

from hotline import runtime
from hotline.services.sms import admission, process as inbound
from hotline.services.ops import failures, recovery as sweeper
from hotline.services.ops import delivery


def process_inbound(inbound_id: int, phone: str | None = None, paced: bool = False) -> None:
    """Parse, verify and answer one inbox row (a no-op if it was already handled)."""
    inbound.process(runtime.current(), inbound_id, phone, paced)


def send_message(outbound_id: int) -> str:
    """Hand one outbox row to Twilio, or leave it in the local outbox."""
    return delivery.deliver(runtime.current(), outbound_id)


def note_throttled(phone: str) -> None:
    """Open one backlog item for a number that crossed its hourly allowance."""
    admission.note_throttled(runtime.current(), phone)


def sweep() -> dict[str, int]:
    """Flush the spool and re-queue anything that never got a job."""
    return sweeper.sweep(runtime.current())


def on_failure(job: Job, connection: Any, exc_type: type, exc: BaseException, tb: Any) -> None:
    """Called by RQ on every failure; after the last retry, hand the work to staff."""
    if job.retries_left:
        return
    failures.gave_up(runtime.current(), job.func_name, job.args[0] if job.args else None, repr(exc))
