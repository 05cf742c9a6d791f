"""The runtime the jobs of this process use, installed once by the worker (or by a test)."""
from __future__ import annotations

from typing import Protocol

from redis import Redis

from hotline.adapters.media_store import MediaStore
from hotline.adapters.queues import Queues
from hotline.adapters.sending_rate import SendingRate
from hotline.adapters.twilio_sms import Sender
from hotline.services.units import Units


class JobRuntime(Protocol):
    """What jobs may use of the process's runtime (`hotline.runtime.Runtime` is one)."""

    units: Units
    redis: Redis
    queues: Queues
    sender: Sender
    rate: SendingRate | None
    media: MediaStore


_installed: JobRuntime | None = None


def install(runtime: JobRuntime | None) -> None:
    """Make `runtime` the one jobs in this process use (None uninstalls it)."""
    global _installed
    _installed = runtime


def current() -> JobRuntime:
    """The installed runtime; a job run where none was installed is a wiring mistake, said loudly."""
    if _installed is None:
        raise RuntimeError("no runtime is installed in this process: run jobs with "
                           "`python -m workers.worker` (or install one, as the tests do)")
    return _installed
