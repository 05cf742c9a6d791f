"""`hotline run`: the same processes as the Procfile, from any directory, stopped cleanly."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hotline.adapters.embedded_redis import free_port
from hotline.cli import local_system
from hotline.config import Config

ROOT = Path(__file__).resolve().parents[2]


def _procfile() -> dict[str, list[str]]:
    out = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        # The Procfile's ${VAR:-default} with nothing set, as a shell would expand it.
        expanded = subprocess.run(["sh", "-c", f"printf '%s\\0' {command}"], capture_output=True,
                                  text=True, env={"PATH": os.environ["PATH"]}, check=True).stdout
        out[name.strip()] = expanded.rstrip("\0").split("\0")
    return out


def test_the_commands_are_the_procfiles():
    procfile = _procfile()
    assert local_system.web_command({})[2:] == procfile["web"]  # after `python -m`
    assert local_system.worker_command()[1:] == procfile["worker"][1:]  # `python` is this venv's


def test_a_start_that_fails_stops_the_redis_it_started(tmp_path, monkeypatch):
    started = []
    real = local_system.EmbeddedRedis

    class Recorded(real):  # type: ignore[misc, valid-type]
        def start(self, timeout: float = 10.0) -> str:
            started.append(self)
            return super().start(timeout)

    monkeypatch.setattr(local_system, "EmbeddedRedis", Recorded)
    monkeypatch.setattr(local_system, "web_command", lambda env: [str(tmp_path / "no-such-program")])
    with pytest.raises(FileNotFoundError):
        local_system.run(Config(instance_path=tmp_path), free_port(), 1, {})
    assert len(started) == 1 and started[0].proc is None  # stopped, not left running


@pytest.mark.slow
def test_hotline_run_from_another_directory_starts_and_stops_quietly(tmp_path):
    port = free_port()
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"), "PORT": str(port)}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    hotline = Path(sys.executable).parent / "hotline"
    proc = subprocess.Popen([str(hotline), "run", "--demo-precincts", "5"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise AssertionError("the hotline never answered /healthz")
        time.sleep(1.5)  # let the worker come up too
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "Stopped." in out
    assert "[ERROR]" not in out and "was sent SIGTERM" not in out, out
    assert "Traceback" not in out, out
    print(shlex.join(["hotline", "run"]), "stopped cleanly")
