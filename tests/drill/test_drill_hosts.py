"""Several hosts in the drill: the pure choices (folders, names, faults, order of hosts, the
/metrics excerpt, the report's line and verdict), and the balanced session against real sockets."""
from __future__ import annotations

import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import requests

from hotline_drill import hosts, report
from hotline_drill.cpu import role_of
from hotline_drill.run import FAULTS

BASE = ("kill-worker", "redis-restart", "db-outage", "twilio-errors", "duplicates")


def test_one_host_keeps_todays_folder_and_names_and_several_get_their_own() -> None:
    folder = Path("/tmp/d")
    assert hosts.host_dir(folder, 0, 1) == folder
    assert [hosts.host_dir(folder, h, 2) for h in (0, 1)] == [folder / "host-0", folder / "host-1"]
    assert hosts.proc_name("processor-0", 0) == "processor-0"
    assert hosts.proc_name("web", 1) == "web-h1" and role_of("web-h1") == "web"
    assert role_of(hosts.proc_name("sender-3", 2)) == "senders"
    assert hosts.lost_host(2) == 1 and hosts.lost_host(3) == 2


def test_several_hosts_need_postgresql() -> None:
    assert hosts.hosts_problem(1, None) is None
    assert hosts.hosts_problem(2, "postgresql://postgres@127.0.0.1/postgres") is None
    assert "PostgreSQL" in (hosts.hosts_problem(2, None) or "")
    assert "PostgreSQL" in (hosts.hosts_problem(2, "sqlite:///x.sqlite3") or "")
    assert hosts.hosts_problem(0, None)


def test_all_brings_host_loss_only_with_several_hosts() -> None:
    assert hosts.choose_faults("all", FAULTS, 1) == BASE
    assert hosts.choose_faults("all", FAULTS, 2) == (*BASE, "host-loss")
    assert hosts.choose_faults("all,host-loss", FAULTS, 2) == (*BASE, "host-loss")
    assert hosts.choose_faults("host-loss, kill-worker", FAULTS, 2) == ("kill-worker", "host-loss")
    assert hosts.choose_faults("", FAULTS, 1) == ()
    with pytest.raises(ValueError, match="host-loss needs"):
        hosts.choose_faults("all,host-loss", FAULTS, 1)
    with pytest.raises(ValueError, match="unknown fault"):
        hosts.choose_faults("all,meteor", FAULTS, 2)


def test_failover_order_starts_anywhere_and_tries_every_host_once() -> None:
    rng = random.Random(3)
    orders = [hosts.failover_order(rng, 3) for _ in range(60)]
    assert all(sorted(o) == [0, 1, 2] for o in orders)
    assert {o[0] for o in orders} == {0, 1, 2}  # no stickiness
    assert hosts.failover_order(rng, 1) == [0]


PAGE = """# HELP hotline_queue_depth Jobs waiting in each RQ queue
# TYPE hotline_queue_depth gauge
hotline_queue_depth{queue="inbound"} 12.0
hotline_queue_depth{queue="unknown"} 0.0
hotline_texts_waiting 14.0
hotline_texts_total{outcome="report"} 31.0
hotline_texts_created{outcome="report"} 1.7e+09
hotline_job_seconds_bucket{le="0.1",outcome="ok",queue="inbound"} 30.0
hotline_job_seconds_count{outcome="ok",queue="inbound"} 31.0
hotline_job_seconds_sum{outcome="ok",queue="inbound"} 1.9
hotline_webhook_seconds_count{endpoint="sms.inbound"} 77.0
hotline_webhook_seconds_sum{endpoint="sms.inbound"} 0.8
hotline_precincts 12.0
"""


def test_the_metrics_excerpt_keeps_queues_texts_jobs_and_webhook_counts() -> None:
    assert hosts.metrics_excerpt(PAGE) == [
        'hotline_queue_depth{queue="inbound"} 12.0', 'hotline_queue_depth{queue="unknown"} 0.0',
        "hotline_texts_waiting 14.0", 'hotline_texts_total{outcome="report"} 31.0',
        'hotline_job_seconds_count{outcome="ok",queue="inbound"} 31.0',
        'hotline_job_seconds_sum{outcome="ok",queue="inbound"} 1.9',
        'hotline_webhook_seconds_count{endpoint="sms.inbound"} 77.0']
    # Each kind has its share, the biggest values first: the two busiest webhooks of three.
    busy = PAGE + 'hotline_webhook_seconds_count{endpoint="voice.pin"} 3.0\n' \
        'hotline_webhook_seconds_count{endpoint="voice.count"} 90.0\n'
    assert [line for line in hosts.metrics_excerpt(busy) if "webhook" in line] == [
        'hotline_webhook_seconds_count{endpoint="voice.count"} 90.0',
        'hotline_webhook_seconds_count{endpoint="sms.inbound"} 77.0']


def test_served_counts_a_hosts_access_log_by_client_in_a_window(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("chair 100.0 /twilio/sms 200 900\nflood 101.5 /twilio/sms 200 400\n"
                   "chair 103.0 /twilio/sms 200 800\n- - /metrics 200 10\nbroken line\n")
    assert hosts.served(log, 100.0) == {"chair": 2, "flood": 1}
    assert hosts.served(log, 100.5, 102.0) == {"flood": 1}
    assert hosts.served(tmp_path / "none.log", 0) == {}


def test_the_report_names_the_lost_host_and_judges_that_it_had_traffic() -> None:
    h = {"count": 2, "lost": {"host": 1, "at_s": 24.1, "down_s": 10.0, "back_serving_s": 36.2,
                              "killed": ["web-h1", "processor-0-h1"]},
         "served": [{"host": 0, "webhooks": 900},
                    {"host": 1, "webhooks": 700, "before_loss": 300, "after_return": 0}]}
    assert report.hosts_line(h) == (
        "hosts 2: host 1 lost at 24.1 s into the night (kill -9 of 2 processes), down 10.0 s, serving again "
        "at 36.2 s; webhooks served: host 0 900; host 1 700 (300 before it was lost, 0 after it came back)")
    name = "host 1 served webhooks before it was lost and after it came back"
    assert report._host_loss_verdicts(h) == {name: False}
    h["served"][1]["after_return"] = 5
    assert report._host_loss_verdicts(h) == {name: True}
    assert report._host_loss_verdicts({"count": 1, "lost": None, "served": []}) == {}


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"{self.server.server_port} {self.path} {body.decode()}".encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def live() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _closed_port() -> str:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_request_to_a_host_that_is_gone_goes_to_another(live: str) -> None:
    dead = _closed_port()
    public = "https://hotline.example"
    http = hosts.Balanced(public, [dead, live], seed=1)
    for _ in range(8):  # half of them start at the dead host
        answer = http.post(f"{public}/twilio/sms?x=1", data={"Body": "hi"}, timeout=5)
        assert answer.text == f"{live.rsplit(':', 1)[1]} /twilio/sms?x=1 Body=hi"
    assert 0 < http.failovers < 8
    # Addresses other than the public one are left alone; with every host gone the error shows.
    assert http.post(f"{live}/other", timeout=5).text.startswith(live.rsplit(":", 1)[1])
    with pytest.raises(requests.ConnectionError):
        hosts.Balanced(public, [dead, _closed_port()]).post(f"{public}/twilio/sms", timeout=5)


def test_the_command_refuses_several_hosts_on_sqlite_and_host_loss_on_one(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hotline_drill.cli import cli
    runner = CliRunner()
    said = runner.invoke(cli, ["run", "--hosts", "2", "--folder", str(tmp_path)])
    assert said.exit_code == 2 and "--hosts above 1 needs PostgreSQL" in said.output
    said = runner.invoke(cli, ["run", "--faults", "all,host-loss", "--folder", str(tmp_path)])
    assert said.exit_code == 2 and "host-loss needs --hosts 2 or more" in said.output
    assert list(tmp_path.iterdir()) == []  # refused before anything started
