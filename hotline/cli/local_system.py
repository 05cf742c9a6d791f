"""`hotline run`: the whole system on one machine, the same processes as the Procfile's.

The commands are written here, not read from the repository's Procfile, so `hotline run` works
from any directory once the package is installed; a test keeps the two in step.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import click

from hotline.adapters import metrics
from hotline.adapters.embedded_redis import EmbeddedRedis
from hotline.config import Config

STOP_SECONDS = 15  # how long each process gets to finish its work after SIGTERM
ADDRESS_FILE = "local-address"  # in the instance folder while `hotline run` runs: its web address,
# so `make simulate` in another terminal finds a server started with `make run PORT=...`


def web_command(env: Mapping[str, str]) -> list[str]:
    """The Procfile's `web` line: gunicorn on the app factory."""
    return [sys.executable, "-m", "gunicorn", "--workers", env.get("WEB_CONCURRENCY") or "2",
            "--bind", f"{env.get('BIND') or '0.0.0.0'}:{env.get('PORT') or '5000'}",
            "--access-logfile", "-", "--timeout", "30", "--config", "python:hotline.adapters.gunicorn_conf",
            "hotline.app:create_app()"]


def worker_command() -> list[str]:
    """The Procfile's `worker` line."""
    return [sys.executable, "-m", "workers.worker"]


def run(config: Config, port: int, workers: int, extra_env: dict[str, str]) -> int:
    """Start Redis (if needed), web and worker(s); stop them all on Ctrl-C or if one dies.

    Whatever has started is stopped again however the start ends, a failed one included.
    """
    env = {**os.environ, **extra_env, "PORT": str(port), "BIND": os.environ.get("BIND", "127.0.0.1")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # One metrics folder for every process started here (prometheus_client's multiprocess mode),
    # emptied before any of them starts: /metrics adds up what the web and the workers counted.
    env[metrics.ENV] = str(metrics.prepare_dir(Path(env.get(metrics.ENV) or config.instance_path / "metrics")))
    embedded = None if config.redis_url else EmbeddedRedis(config.instance_path / "redis")
    procs: list[subprocess.Popen[bytes]] = []
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if embedded is not None:
            env["REDIS_URL"] = embedded.start()
            click.echo(f"Started an embedded Redis at {env['REDIS_URL']} (AOF in {embedded.folder})")
        # Each in a session of its own: Ctrl-C reaches only this supervisor, which then stops
        # them in order (gunicorn's master stops its own workers, without complaint).
        procs.append(subprocess.Popen(web_command(env), env=env, start_new_session=True))
        for _ in range(workers):
            procs.append(subprocess.Popen(worker_command(), env=env, start_new_session=True))
        address = config.instance_path / ADDRESS_FILE
        address.parent.mkdir(parents=True, exist_ok=True)
        address.write_text(f"http://127.0.0.1:{port}\n", encoding="utf-8")
        click.echo(f"\nThe hotline is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n")
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.3)
        if not stopping:
            click.echo("A process exited; stopping the rest.", err=True)
    finally:
        (config.instance_path / ADDRESS_FILE).unlink(missing_ok=True)
        _terminate(procs)
        if embedded is not None:
            embedded.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        click.echo("Stopped.")
    return 0 if stopping else 1


def _terminate(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each leader (it stops its own children), wait, then kill whatever is left."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in procs):
        for p in procs:
            p.poll()  # reap the leader so its group can empty
        time.sleep(0.1)
    for p in procs:
        _signal_group(p.pid, signal.SIGKILL)
        p.wait()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
