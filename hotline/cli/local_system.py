"""`hotline run`: the whole system on one machine, as the Procfile describes it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from hotline.config import Config
from hotline.adapters.embedded_redis import EmbeddedRedis

RUN_PROCESSES = ("web", "worker")


def procfile(path: Path = Path("Procfile")) -> dict[str, str]:
    """Process name -> command line, from the Procfile."""
    out = {}
    for line in path.read_text().splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            name, cmd = line.split(":", 1)
            out[name.strip()] = cmd.strip()
    return out


def run(config: Config, port: int, workers: int, extra_env: dict[str, str]) -> int:
    """Start Redis (if needed), web and worker(s); stop them all on Ctrl-C or if one dies."""
    embedded = None
    env = {**os.environ, **extra_env, "PORT": str(port), "BIND": os.environ.get("BIND", "127.0.0.1")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if not config.redis_url:
        embedded = EmbeddedRedis(config.instance_path / "redis")
        env["REDIS_URL"] = embedded.start()
        click.echo(f"Started an embedded Redis at {env['REDIS_URL']} (AOF in {embedded.folder})")
    commands = procfile()
    procs: list[subprocess.Popen[bytes]] = []
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        procs.append(subprocess.Popen(commands["web"], shell=True, env=env, start_new_session=True))
        for _ in range(workers):
            procs.append(subprocess.Popen(commands["worker"], shell=True, env=env, start_new_session=True))
        click.echo(f"\nThe hotline is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n")
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.3)
        if not stopping:
            click.echo("A process exited; stopping the rest.", err=True)
    finally:
        _terminate(procs)
        if embedded:
            embedded.stop()
        click.echo("Stopped.")
    return 0 if stopping else 1


def _terminate(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group, then wait until every member (e.g. RQ's scheduler) is gone."""
    for p in procs:
        _signal_group(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
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
