"""`make simulate` finds the server `make run PORT=...` started, without --url."""
from __future__ import annotations

import sys

from click.testing import CliRunner

from hotline.cli import local_system
from hotline.config import Config
from hotline_drill import simulator


def test_hotline_run_leaves_its_address_for_simulate_while_it_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    config = Config(instance_path=tmp_path / "instance", redis_url="redis://127.0.0.1:1/0")
    seen = tmp_path / "seen-by-simulate"
    # The "web process" asks the simulator which server it would talk to, then exits.
    probe = ("import os, pathlib; from hotline.config import Config; from hotline_drill import simulator; "
             "os.environ.pop('PORT', None); "
             f"pathlib.Path({str(seen)!r}).write_text(simulator.default_url("
             f"Config(instance_path=pathlib.Path({str(config.instance_path)!r}))))")
    monkeypatch.setattr(local_system, "web_command", lambda env: [sys.executable, "-c", probe])
    monkeypatch.setattr(local_system, "worker_command", lambda: [sys.executable, "-c", "import time; time.sleep(5)"])
    local_system.run(config, 5151, 1, {})
    assert seen.read_text() == "http://127.0.0.1:5151"
    assert not (config.instance_path / local_system.ADDRESS_FILE).exists()  # gone once it stopped
    assert simulator.ADDRESS_FILE == local_system.ADDRESS_FILE


def test_simulate_uses_port_then_the_running_address_then_5000(tmp_path, monkeypatch):
    config = Config(instance_path=tmp_path)
    monkeypatch.delenv("PORT", raising=False)
    assert simulator.default_url(config) == "http://127.0.0.1:5000"
    (tmp_path / simulator.ADDRESS_FILE).write_text("http://127.0.0.1:5151\n")
    assert simulator.default_url(config) == "http://127.0.0.1:5151"
    monkeypatch.setenv("PORT", "6000")
    assert simulator.default_url(config) == "http://127.0.0.1:6000"


def test_simulate_without_url_names_the_address_it_tried(tmp_path, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(tmp_path))
    (tmp_path / simulator.ADDRESS_FILE).write_text("http://127.0.0.1:1\n")  # nothing listens on port 1
    (tmp_path / "demo_roster.csv").write_text("precinct,county,name,delegates,chair,phones,pin\n")
    monkeypatch.setattr(simulator.status, "candidates", lambda session: [])
    result = CliRunner().invoke(simulator.simulate_command, [])
    assert result.exit_code != 0
    assert "No hotline answers at http://127.0.0.1:1" in result.output
