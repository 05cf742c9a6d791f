"""Several hosts in the drill: where each host keeps its files, how requests reach a host, the
host-loss fault's choices, a database of the drill's own, and an excerpt of a /metrics page.

Production runs several hosts against one Redis and one PostgreSQL, behind a load balancer
without stickiness: one chair's texts may reach different hosts, and a request to a host that
is gone fails and is retried (Twilio retries a webhook whose connection failed).
"""
from __future__ import annotations

import random
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HOST_LOSS = "host-loss"
LOSS_AT = 0.4  # share of the night at which one host is lost
LOSS_DOWN_SECONDS = 10.0  # how long it stays down before it is started again
SCRAPE_AT = 0.6  # share of the night at which host 0's /metrics is read
METRICS_TOKEN = "drill-metrics-token-0123456789"  # the product wants at least 16 characters
METRICS_FILE = "metrics-during-night.txt"


def host_dir(folder: Path, host: int, hosts: int) -> Path:
    """A host's instance folder (spool, metrics, logs). One host: the drill folder, as before."""
    return folder if hosts == 1 else folder / f"host-{host}"


def proc_name(name: str, host: int) -> str:
    """A process's name in the cluster: host 0's keep today's names ("web", "processor-0"), the
    others' end in -h<N> (role_of reads the part before the first dash)."""
    return name if host == 0 else f"{name}-h{host}"


def lost_host(hosts: int) -> int:
    """The host the host-loss fault takes down: the last one (host 0 serves the /metrics scrape)."""
    return hosts - 1


def hosts_problem(hosts: int, database_url: str | None) -> str | None:
    """Why this number of hosts cannot run against this database, or None."""
    if hosts < 1:
        return "--hosts must be at least 1"
    if hosts > 1 and not (database_url or "").startswith("postgres"):
        return ("--hosts above 1 needs PostgreSQL (--database-url postgresql://...): "
                "several hosts against one SQLite file is not a setup anyone runs")
    return None


def choose_faults(spec: str, known: Sequence[str], hosts: int) -> tuple[str, ...]:
    """The faults a --faults value names, in `known`'s order. "all" may stand among names; it
    brings host-loss only when there is more than one host. Raises ValueError on a bad name."""
    names = [f.strip() for f in spec.split(",") if f.strip()]
    unknown = sorted(set(names) - set(known) - {"all"})
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(unknown)}")
    if HOST_LOSS in names and hosts < 2:
        raise ValueError("host-loss needs --hosts 2 or more")
    wanted = set(names)
    if "all" in wanted:
        wanted |= {f for f in known if f != HOST_LOSS or hosts > 1}
    return tuple(f for f in known if f in wanted)


def failover_order(rng: random.Random, hosts: int) -> list[int]:
    """Hosts in the order one request tries them: a random one (a load balancer without
    stickiness), then each other host once, should a connection fail."""
    first = rng.randrange(hosts)
    return [(first + k) % hosts for k in range(hosts)]


class Balanced(requests.Session):
    """A session that sends requests for the public address to any of the hosts.

    The hotline checks Twilio's signature against PUBLIC_BASE_URL, which all hosts share (host 0's
    address stands for the load balancer's), so callers sign and address requests as before and
    only the connection goes elsewhere. A request whose connection fails (the host is gone, or
    died mid-request) is sent to the next host: the same webhook again, as Twilio retries it.
    """

    def __init__(self, public: str, bases: Sequence[str], seed: int = 0) -> None:
        super().__init__()
        self.public = public.rstrip("/")
        self.bases = [b.rstrip("/") for b in bases]
        self.rng = random.Random(seed)
        self.failovers = 0

    def request(self, method: str | bytes, url: str | bytes, *args, **kwargs) -> requests.Response:  # type: ignore[override]
        url = url.decode() if isinstance(url, bytes) else url
        if len(self.bases) < 2 or not url.startswith(self.public):
            return super().request(method, url, *args, **kwargs)
        rest = url[len(self.public):]
        order = failover_order(self.rng, len(self.bases))
        for k, host in enumerate(order):
            try:
                return super().request(method, self.bases[host] + rest, *args, **kwargs)
            except requests.ConnectionError:
                if k == len(order) - 1:
                    raise
                self.failovers += 1
        raise AssertionError("unreachable")


def session(ctx: dict) -> requests.Session:
    """A session for the load generators: balanced across ctx["hosts"] when there are several."""
    bases = ctx.get("hosts") or []
    return Balanced(ctx["url"], bases, seed=ctx.get("seed", 0)) if len(bases) > 1 else requests.Session()


def served(access_log: Path, since: float, until: float | None = None) -> dict[str, int]:
    """Requests a host's access log shows by client (chair, flood, voice, ...) sent in the window."""
    out: dict[str, int] = {}
    if not access_log.exists():
        return out
    with open(access_log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 5:
                continue
            try:
                at = float(parts[1])
            except ValueError:
                continue
            if at >= since and (until is None or at < until):
                out[parts[0]] = out.get(parts[0], 0) + 1
    return out


# The lines of a /metrics page worth reading during the night, each kind with its share of the
# excerpt (the biggest values first): queue depths, texts waiting and by outcome, how long the
# texts' and replies' jobs ran (count and sum), and the busiest webhooks' counts.
_EXCERPT = ((re.compile(r'^hotline_queue_depth\{'), 4, "value"), (re.compile(r"^hotline_texts_waiting "), 1, "value"),
            (re.compile(r'^hotline_texts_total\{'), 4, "value"),
            (re.compile(r'^hotline_job_seconds_(count|sum)\{outcome="ok",queue="(inbound|replies)"\}'), 4, "name"),
            (re.compile(r'^hotline_webhook_seconds_count\{'), 2, "value"))


def _value(line: str) -> float:
    try:
        return float(line.rsplit(" ", 1)[1])
    except (IndexError, ValueError):
        return 0.0


def metrics_excerpt(page: str) -> list[str]:
    """The interesting lines of a Prometheus text page, at most 15, in the order of _EXCERPT."""
    lines = page.splitlines()
    picked: list[str] = []
    for pattern, share, order in _EXCERPT:
        found = [line for line in lines if pattern.match(line)]
        # By name: each queue's count, then its sum; by value: the biggest first.
        found.sort(key=(lambda line: line.rsplit(" ", 1)[0]) if order == "name" else (lambda line: -_value(line)))
        picked += found[:share]
    return picked


def _admin_url(url: str) -> str:
    # The driver the product uses for this URL (postgresql:// -> its psycopg dialect).
    from hotline.config import Config
    return Config.from_env({"DATABASE_URL": url}).database_url


@contextmanager
def own_database(url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one drill, dropped afterwards. The given URL is only used
    to reach the server: its own database (often `postgres`) is never written to. Other URLs
    (SQLite files) are used as given."""
    if not url.startswith("postgres"):
        yield url
        return
    admin = _admin_url(url)
    name = f"hotline_drill_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def port_of(url: str) -> int:
    return urlsplit(url).port or 80
