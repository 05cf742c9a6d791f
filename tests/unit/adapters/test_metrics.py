"""The metrics module: what it counts, the scrape-time figures and their cache, multiprocess mode."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from hotline.adapters import metrics

ROOT = Path(__file__).resolve().parents[3]


def samples(page: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page.decode()) for s in family.samples}


def test_counts_show_on_the_page_with_their_labels():
    before = samples(metrics.exposition())
    key = ("hotline_texts_total", (("outcome", "unit-test-outcome"),))
    metrics.text_handled("unit-test-outcome")
    metrics.text_handled("unit-test-outcome")
    metrics.job_ran("unit-test-queue", False, 0.2)
    metrics.webhook_answered("sms.unit_test", 0.003)
    metrics.send_slot("+15155550100", 0.5)
    after = samples(metrics.exposition())
    assert after[key] - before.get(key, 0) == 2
    assert after[("hotline_jobs_total", (("outcome", "failed"), ("queue", "unit-test-queue")))] >= 1
    assert after[("hotline_job_seconds_bucket", (("le", "0.25"), ("outcome", "failed"),
                                                ("queue", "unit-test-queue")))] >= 1
    assert after[("hotline_webhook_seconds_bucket", (("endpoint", "sms.unit_test"), ("le", "0.005")))] >= 1
    assert after[("hotline_sends_total", (("number", "+15155550100"),))] >= 1


def test_scraped_figures_are_read_at_most_once_per_ttl_and_a_failure_shows():
    calls = []

    def read():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database is down")
        return [metrics.Gauge("hotline_texts_waiting", "waiting", 7),
                metrics.Gauge("hotline_queue_depth", "depth", {"inbound": 3, "replies": 0}, "queue")]

    scraped = metrics.Scraped(read, ttl=60)
    page = samples(metrics.exposition(scraped))
    assert page[("hotline_texts_waiting", ())] == 7
    assert page[("hotline_queue_depth", (("queue", "inbound"),))] == 3
    assert page[("hotline_scrape_ok", ())] == 1
    metrics.exposition(scraped)
    assert len(calls) == 1  # cached
    scraped.ttl = 0
    metrics.exposition(scraped)
    page = samples(metrics.exposition(scraped))  # the third read fails
    assert len(calls) == 3
    assert page[("hotline_scrape_ok", ())] == 0 and ("hotline_texts_waiting", ()) not in page


def test_prepare_dir_empties_an_earlier_runs_files(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    (folder / "keep.txt").write_text("not ours")
    assert metrics.prepare_dir(folder) == folder
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


def test_multiprocess_mode_adds_up_what_each_process_counted(tmp_path):
    """Two processes count into one folder; a third (the web) serves the sum."""
    folder = metrics.prepare_dir(tmp_path / "metrics")
    env = {**os.environ, metrics.ENV: str(folder), "PYTHONPATH": str(ROOT)}
    count = textwrap.dedent("""
        from hotline.adapters import metrics
        metrics.text_handled("confirmed")
        metrics.job_ran("inbound", True, 0.01)
        metrics.process_exited()
    """)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    serve = "import sys; from hotline.adapters import metrics; sys.stdout.write(metrics.exposition().decode())"
    page = subprocess.run([sys.executable, "-c", serve],
                          env=env, check=True, timeout=60, capture_output=True).stdout
    found = samples(page)
    assert found[("hotline_texts_total", (("outcome", "confirmed"),))] == 2
    assert found[("hotline_jobs_total", (("outcome", "ok"), ("queue", "inbound")))] == 2


def test_gunicorns_master_prepares_its_default_folder_and_leaves_a_given_one_alone(tmp_path, monkeypatch):
    from hotline.adapters import gunicorn_conf
    monkeypatch.setenv(metrics.ENV, "placeholder")  # so the teardown restores the variable's absence
    monkeypatch.delenv(metrics.ENV)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(tmp_path))
    default = tmp_path / "metrics"
    default.mkdir()
    (default / "counter_1.db").write_bytes(b"old")
    gunicorn_conf.on_starting(None)
    assert os.environ[metrics.ENV] == str(default) and list(default.iterdir()) == []
    given = tmp_path / "given"
    given.mkdir()
    (given / "counter_2.db").write_bytes(b"a worker's, started first")
    monkeypatch.setenv(metrics.ENV, str(given))
    gunicorn_conf.on_starting(None)
    assert [p.name for p in given.iterdir()] == ["counter_2.db"]  # whoever set it has emptied it
