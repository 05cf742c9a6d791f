"""The runtime the jobs of this process use, installed once by the worker (or by a test)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the runtime imports the job modules, which import this one
    from hotline.runtime import Runtime

_installed: "Runtime | None" = None


def install(runtime: "Runtime | None") -> None:
    """Make `runtime` the one jobs in this process use (None uninstalls it)."""
    global _installed
    _installed = runtime


def current() -> "Runtime":
    """The installed runtime; a job run where none was installed is a wiring mistake, said loudly."""
    if _installed is None:
        raise RuntimeError("no runtime is installed in this process: run jobs with "
                           "`python -m workers.worker` (or install one, as the tests do)")
    return _installed
