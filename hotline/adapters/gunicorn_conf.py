"""gunicorn's hooks (`gunicorn --config python:hotline.adapters.gunicorn_conf`, as the Procfile runs it).

The master prepares the metrics folder its workers share before it forks them (PROMETHEUS_MULTIPROC_DIR:
as set, else `metrics` in the instance folder), and tells prometheus_client when a worker exits.
Nothing here may import prometheus_client at import time: the master would then pick single-process
mode before the variable is set, and every forked worker would inherit that choice.
"""
from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"  # as hotline.adapters.metrics.ENV


def on_starting(server: Any) -> None:
    """Before the first worker: the folder. Set by whatever started gunicorn (`hotline run`, the
    drill), it is theirs, and already emptied (RQ workers beside us may be writing to it by now).
    Unset (the Procfile's web process), gunicorn is the starter: the instance folder's `metrics`,
    emptied of an earlier run's files."""
    folder = os.environ.get(ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return
    instance = Path(os.environ.get("HOTLINE_INSTANCE_PATH", "instance")).resolve()
    folder = os.environ[ENV] = str(instance / "metrics")
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):
        os.remove(stale)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges stop counting (its counters stay in the sums)."""
    from prometheus_client import multiprocess  # after on_starting set the folder
    if os.environ.get(ENV):
        multiprocess.mark_process_dead(worker.pid)
