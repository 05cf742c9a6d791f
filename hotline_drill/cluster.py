"""Start and stop the whole system as separate processes, and break parts of it on purpose."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from hotline.adapters.embedded_redis import EmbeddedRedis, free_port
from hotline_drill import hosts as hosts_mod

DRILL_TOKEN = "drill-auth-token"
ACCOUNT_SID = "AC" + "d" * 32  # webhooks the drill signs name it: the hotline refuses other accounts
# Who sent it (X-Drill-Client: chair, flood, voice, probe), when (X-Drill-At, epoch seconds),
# the path and status, and the server's time in microseconds.
ACCESS_FORMAT = "%({x-drill-client}i)s %({x-drill-at}i)s %(U)s %(s)s %(D)s"


@dataclass
class Options:
    folder: Path
    database_url: str
    web_workers: int = 3
    processors: int = 2
    senders: int = 4
    sending_numbers: int = 50
    send_rate: float = 1.0
    twilio_fail_rate: float = 0.0
    twilio_slow_rate: float = 0.0
    hosts: int = 1  # hosts' worth of web and workers against the one Redis and database


@dataclass
class Cluster:
    opts: Options
    redis: EmbeddedRedis | None = None
    # The "phones" (what the Twilio stand-in delivered) live in a Redis of their own, so the
    # redis-restart fault breaks the hotline's Redis, not the chairs' handsets.
    phones: EmbeddedRedis | None = None
    port: int = 0
    noop_port: int = 0  # the no-op webhook, run beside ours while the two are compared
    standin_port: int = 0
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)  # each host's web port; ports[0] == port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def noop_url(self) -> str:
        return f"http://127.0.0.1:{self.noop_port}"

    @property
    def numbers(self) -> list[str]:
        return [f"+1515555{9000 + i:04d}" for i in range(self.opts.sending_numbers)]

    @property
    def urls(self) -> list[str]:
        """Each host's own address (self.url, host 0's, stands for the load balancer's)."""
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def host_dir(self, host: int = 0) -> Path:
        return hosts_mod.host_dir(self.opts.folder, host, self.opts.hosts)

    def env(self, host: int = 0) -> dict[str, str]:
        assert self.redis is not None
        # All hosts share PUBLIC_BASE_URL (what Twilio signs) and the log's signing key, as in
        # production; each has its own instance folder (spool, metrics, logs).
        return {**os.environ, "HOTLINE_ENV": "development", "HOTLINE_INSTANCE_PATH": str(self.host_dir(host)),
                "HOTLINE_LOG_SIGNING_KEY_FILE": str(self.opts.folder / "log-signing-key.pem"),
                "HOTLINE_METRICS_TOKEN": hosts_mod.METRICS_TOKEN,
                "DATABASE_URL": self.opts.database_url, "REDIS_URL": self.redis.url,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DRILL_TOKEN,
                "TWILIO_FROM_NUMBERS": ",".join(self.numbers),
                "TWILIO_API_BASE_URL": f"http://127.0.0.1:{self.standin_port}",
                "PUBLIC_BASE_URL": self.url, "HOTLINE_SEND_RATE_PER_NUMBER": str(self.opts.send_rate),
                "HOTLINE_SWEEP_INTERVAL_SECONDS": "2",
                "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir_of(host)),  # emptied in start_backing
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    @property
    def metrics_dir(self) -> Path:
        """The folder the web and worker processes count in (prometheus_client's multiprocess mode)."""
        return self.metrics_dir_of(0)

    def metrics_dir_of(self, host: int) -> Path:
        return self.host_dir(host) / "metrics"

    def start_backing(self) -> None:
        """Redis and the Twilio stand-in (the database is created by the caller)."""
        for host in range(self.opts.hosts):
            self.metrics_dir_of(host).mkdir(parents=True, exist_ok=True)
            for stale in self.metrics_dir_of(host).glob("*.db"):  # an earlier run's counts
                stale.unlink()
        self.redis = EmbeddedRedis(self.opts.folder / "redis")
        self.redis.start()
        self.phones = EmbeddedRedis(self.opts.folder / "phones", persist=False)
        self.phones.start()
        self.port, self.noop_port, self.standin_port = free_port(), free_port(), free_port()
        self.ports = [self.port, *(free_port() for _ in range(self.opts.hosts - 1))]
        self._spawn("standin", [sys.executable, "-m", "hotline_drill.twilio_standin", "--port", str(self.standin_port),
                                "--redis-url", self.phones.url, "--fail-rate", str(self.opts.twilio_fail_rate),
                                "--slow-rate", str(self.opts.twilio_slow_rate)])

    @property
    def access_log(self) -> Path:
        return self.access_log_of(0)

    def access_log_of(self, host: int) -> Path:
        return self.host_dir(host) / "access.log"

    def start_web(self, noop: bool = False, host: int = 0) -> None:
        """Our app, or the no-op ceiling (same gunicorn settings) on a port of its own."""
        app, name, port = ("hotline_drill.noop:create_app()", "noop-web", self.noop_port) if noop \
            else ("hotline.app:create_app()", hosts_mod.proc_name("web", host), self.ports[host])
        log = self.opts.folder / "noop-access.log" if noop else self.access_log_of(host)
        # The access log gives the server's own time per request (microseconds), so the report
        # can tell time spent in the hotline from time spent in the load generator's processes.
        self._spawn(name, ["gunicorn", "--workers", str(self.opts.web_workers), "--bind",
                           f"127.0.0.1:{port}", "--log-level", "warning",
                           "--config", "python:hotline.adapters.gunicorn_conf",
                           "--access-logfile", str(log), "--access-logformat", ACCESS_FORMAT, app], host)
        _wait_http(f"http://127.0.0.1:{port}/twilio/sms", ok=(200, 400, 403, 405))

    def stop_web(self, noop: bool = False) -> None:
        self._stop("noop-web" if noop else "web")

    def start_noop_workers(self) -> None:
        """As many no-op job workers as processors, same class; idle unless no-op jobs are queued."""
        assert self.redis is not None
        for i in range(self.opts.processors):
            self._spawn(f"noop-worker-{i}", [sys.executable, "-m", "hotline_drill.noop", self.redis.url,
                                             f"drill-noop-{i}-{time.time_ns()}"])

    def stop_noop_workers(self) -> None:
        for i in range(self.opts.processors):
            self._stop(f"noop-worker-{i}")

    def start_workers(self, processors: bool = True, senders: bool = True, host: int = 0) -> None:
        for i in range(self.opts.processors if processors else 0):
            name = hosts_mod.proc_name(f"processor-{i}", host)
            self._spawn(name, [sys.executable, "-m", "workers.worker", "--role", "processor",
                               "--name", f"drill-{name}-{time.time_ns()}"], host)
        for i in range(self.opts.senders if senders else 0):
            name = hosts_mod.proc_name(f"sender-{i}", host)
            self._spawn(name, [sys.executable, "-m", "workers.worker", "--role", "sender",
                               "--no-sweep", "--name", f"drill-{name}-{time.time_ns()}"], host)

    def start_host(self, host: int) -> None:
        """A host's web (on its port) and all its workers."""
        self.start_web(host=host)
        self.start_workers(host=host)

    def kill_host(self, host: int) -> list[str]:
        """kill -9 every process of one host (its web and its workers), as a lost machine; their names."""
        suffix = hosts_mod.proc_name("", host)  # "" for host 0, "-h<N>" for the others
        mine = [n for n in self.procs if n.split("-")[0] in ("web", "processor", "sender")
                and (n.endswith(suffix) if suffix else "-h" not in n)]
        for name in mine:
            self.kill_worker(name)
        return mine

    def process_groups(self) -> dict[int, str]:
        """The process group of each part of the system (each started in a session of its own)."""
        groups = {proc.pid: name for name, proc in list(self.procs.items())}  # faults change procs meanwhile
        for name, server in (("redis", self.redis), ("phones", self.phones)):
            if server is not None and server.proc is not None:
                groups[server.proc.pid] = name
        return groups

    def kill_worker(self, name: str = "processor-0") -> None:
        """kill -9 the whole worker (its process group), as an OOM killer or a crash would."""
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart_worker(self, name: str = "processor-0") -> None:
        role = name.split("-")[0]
        self._spawn(name, [sys.executable, "-m", "workers.worker", "--role", role,
                           *(["--no-sweep"] if role == "sender" else []),
                           "--name", f"drill-{name}-{time.time_ns()}"])

    def restart_redis(self, down_seconds: float) -> None:
        """Stop Redis and start it again on the same port (AOF keeps the queues)."""
        assert self.redis is not None
        self.redis.stop()
        time.sleep(down_seconds)
        self.redis.start()

    def lock_database(self, seconds: float) -> None:
        """Hold an exclusive lock so every write waits or fails, as in a brief outage."""
        engine = create_engine(self.opts.database_url)
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN EXCLUSIVE")
            else:
                conn.execute(text("BEGIN"))
                conn.execute(text("LOCK TABLE inbound_messages, outbound_messages, submissions "
                                  "IN ACCESS EXCLUSIVE MODE"))
            time.sleep(seconds)
            conn.exec_driver_sql("ROLLBACK")
        engine.dispose()

    def _spawn(self, name: str, args: list[str], host: int = 0) -> None:
        # The child writes to its own copy of the file descriptor: ours is closed at once, so no
        # file stays open in the drill after its process stops (nor piles up over restarts).
        with open(self.host_dir(host) / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(args, env=self.env(host), stdout=log, stderr=log,
                                                start_new_session=True, cwd=Path.cwd())

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for name in list(self.procs):
            self._stop(name)
        for server in (self.redis, self.phones):
            if server:
                server.stop()


def _wait_http(url: str, ok: tuple[int, ...], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.post(url, timeout=2).status_code in ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout}s")
