"""Prometheus metrics: what each process counts, and the text page /metrics serves.

Several gunicorn workers and several RQ workers count at once, so prometheus_client runs in
multiprocess mode: `PROMETHEUS_MULTIPROC_DIR` names a folder per host, created and emptied by
whatever starts the processes (`hotline run`, the gunicorn master through gunicorn_conf.py, the
drill's cluster) before any of them imports this module. Each process writes its own files there
and /metrics adds them up. Without the variable (tests, one-off commands) the counts stay in the
process.

Figures read from the database and Redis (queue depths, failed jobs, reports by state...) are not
counted here: `Scraped` reads them when Prometheus asks, at most every few seconds.
"""
from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Twilio gives a webhook 15 s; the interesting part is well under a second.
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_JOBS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_WAITS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

WEBHOOK_SECONDS = Histogram("hotline_webhook_seconds", "Time to answer a Twilio webhook, by endpoint",
                            ["endpoint"], buckets=_FAST)
TEXTS = Counter("hotline_texts", "Texts handled by the SMS job, by the outcome it set", ["outcome"])
JOBS = Counter("hotline_jobs", "RQ jobs run, by queue and outcome (ok, failed)", ["queue", "outcome"])
JOB_SECONDS = Histogram("hotline_job_seconds", "Time an RQ job ran, by queue and outcome",
                        ["queue", "outcome"], buckets=_JOBS)
SENDS = Counter("hotline_sends", "Send slots taken, per sending number", ["number"])
RATE_WAIT_SECONDS = Histogram("hotline_sending_rate_wait_seconds",
                              "Time a sender waited for a sending number's next slot", buckets=_WAITS)


def webhook_answered(endpoint: str, seconds: float) -> None:
    WEBHOOK_SECONDS.labels(endpoint).observe(seconds)


def text_handled(outcome: str) -> None:
    TEXTS.labels(outcome).inc()


def job_ran(queue: str, ok: bool, seconds: float) -> None:
    outcome = "ok" if ok else "failed"
    JOBS.labels(queue, outcome).inc()
    JOB_SECONDS.labels(queue, outcome).observe(seconds)


def send_slot(number: str, waited: float) -> None:
    SENDS.labels(number).inc()
    RATE_WAIT_SECONDS.observe(waited)


# --- The folder the processes of one host share --------------------------------------------------

def prepare_dir(folder: Path) -> Path:
    """Create `folder` and empty it of an earlier run's files (call before starting the processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in glob.glob(str(folder / "*.db")):
        os.remove(stale)
    return folder


def process_exited(pid: int | None = None) -> None:
    """Tell the multiprocess files that a process is gone (its live gauges stop counting)."""
    folder = os.environ.get(ENV)
    if folder:
        multiprocess.mark_process_dead(pid if pid is not None else os.getpid(), folder)


# --- Figures read at scrape time ---------------------------------------------------------------

@dataclass(frozen=True)
class Gauge:
    """One gauge read at scrape time: a single value, or one value per label value."""

    name: str
    help: str
    value: float | Mapping[str, float]
    label: str | None = None


@dataclass(eq=False)  # registries keep collectors in a dict: hashed by identity
class Scraped:
    """A collector that calls `read` at most every `ttl` seconds (scrapes in between get the last
    answer), so several Prometheus servers or a reloaded dashboard cost one read. A failed read is
    logged and shows as hotline_scrape_ok 0."""

    read: Callable[[], Iterable[Gauge]]
    ttl: float = 5.0
    _at: float = field(default=-1e9, init=False)
    _last: list[Gauge] = field(default_factory=list, init=False)
    _ok: bool = field(default=True, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def gauges(self) -> tuple[list[Gauge], bool]:
        with self._lock:
            now = time.monotonic()
            if now - self._at >= self.ttl:
                try:
                    self._last, self._ok = list(self.read()), True
                except Exception as exc:  # noqa: BLE001 - a scrape must answer whatever is down
                    log.warning("metrics: reading the figures failed: %s", exc)
                    self._last, self._ok = [], False
                self._at = now
            return self._last, self._ok

    def collect(self) -> Iterator[Metric]:
        found, ok = self.gauges()
        yield GaugeMetricFamily("hotline_scrape_ok", "1 when the figures below could be read", value=1 if ok else 0)
        for g in found:
            if g.label is None:
                yield GaugeMetricFamily(g.name, g.help, value=float(g.value))  # type: ignore[arg-type]
                continue
            family = GaugeMetricFamily(g.name, g.help, labels=[g.label])
            for key, value in sorted(g.value.items()):  # type: ignore[union-attr]
                family.add_metric([key], float(value))
            yield family


class _Process:
    """This process's own metrics (when not in multiprocess mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(*extra: object) -> bytes:
    """The text page: every process's counts (multiprocess mode) or this one's, plus `extra` collectors."""
    registry = CollectorRegistry()
    if os.environ.get(ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Process())  # type: ignore[arg-type]
    for collector in extra:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry)
