"""The drill's judging code: what it counts as lost, slow or over the rate must be right."""
from __future__ import annotations

from pathlib import Path

from hotline_drill import ceilings as ceilings_mod
from hotline_drill import metrics, report


def test_server_times_split_chairs_at_half_time_and_skip_other_lines(tmp_path: Path):
    log = tmp_path / "access.log"
    log.write_text("chair 100.000 /twilio/sms 200 12000\n"
                   "chair 160.500 /twilio/sms 200 30500\n"
                   "flood 161.000 /twilio/sms 200 4000\n"
                   "voice 120.000 /twilio/voice/pin 200 8000\n"
                   "- - /twilio/sms 403 900\n"  # a request without the drill's headers
                   "garbage line\n")
    times = metrics.server_times(log, half=150.0)
    assert times["chairs_before_flood"] == [12.0]
    assert times["chairs_during_flood"] == [30.5]
    assert times["flood"] == [4.0] and times["voice"] == [8.0]
    assert "-" not in times and len(times) == 4


def test_chairs_texts_during_an_outage_and_its_aftermath_are_kept_apart(tmp_path: Path):
    log = tmp_path / "access.log"
    log.write_text("chair 100.000 /twilio/sms 200 12000\n"
                   "chair 104.000 /twilio/sms 200 4000000\n"  # waited out the locked database
                   "chair 108.000 /twilio/sms 200 90000\n"  # its backlog, just after
                   "chair 160.000 /twilio/sms 200 30500\n")
    times = metrics.server_times(log, half=150.0, outages=[(103.0, 107.0)])
    assert times["chairs_during_outages"] == [4000.0, 90.0]
    assert times["chairs_before_flood"] == [12.0] and times["chairs_during_flood"] == [30.5]


def _confirm(stage: str, counts: dict, at: float, answered: bool = True) -> dict:
    return {"stage": stage, "counts": counts, "yes_sent_at": at, "phone": "+1", "answered": answered}


def test_a_fault_window_counts_only_confirmations_that_did_not_end_up_current():
    outcomes = [
        {"precinct": "A-1", "confirms": [_confirm("first", {"X": 1}, 10), _confirm("final", {"X": 2}, 20)]},
        # B-1 corrected its first alignment: the typo confirmed inside the window is not "lost".
        {"precinct": "B-1", "confirms": [_confirm("first", {"X": 9}, 12), _confirm("first", {"X": 3}, 40)]},
        {"precinct": "C-1", "confirms": [_confirm("first", {"X": 5}, 15, answered=False)]},
    ]
    current = {("A-1", "first"): {"X": 1}, ("A-1", "final"): {"X": 7},  # the server has another number
               ("B-1", "first"): {"X": 3}, ("C-1", "first"): {"X": 5}}
    [window] = metrics.by_fault(outcomes, [{"fault": "kill", "started": 9.0, "ended": 16.0}], current, grace=5)
    assert window["confirmations"] == 4  # A first, A final (t=20 is within the grace), B typo, C
    assert window["lost"] == 1  # A-1 final
    assert window["without_reply"] == 1


def test_rate_windows_and_priority_inversions():
    assert metrics._max_in_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    first = [(0.0, 5.0)]  # a confirmation created at 0 and sent at 5
    rest = [(0.0, 1.0), (0.0, 4.0), (0.0, 6.0)]  # others sent at 1, 4 and 6
    assert metrics._inversions(first, rest, grace=2.0) == 1  # only the send at 4: past grace, before 5


def test_capacity_is_judged_only_while_a_backlog_waited_throughout():
    # capacity 2/s; 40 texts all created at t=0, sent one per 0.5 s from t=0.5 to t=20
    texts = [(0.0, 0.5 * (i + 1)) for i in range(40)]
    full = metrics.use_of_capacity(texts, [s for _, s in texts], capacity=2.0, since=0.0)
    # [0,5) starts before anything is a second old and [15,20) ends with nothing waiting
    assert full["windows"] == 2 and full["share_of_capacity_p50"] == 1.0
    # the same texts sent at half the pace: the senders, not the demand, set the rate
    slow = [(0.0, 1.0 * (i + 1)) for i in range(40)]
    half = metrics.use_of_capacity(slow, [s for _, s in slow], capacity=2.0, since=0.0)
    assert half["share_of_capacity_p50"] == 0.5 and half["windows"] == 6
    # texts sent as fast as they come never form a backlog, so nothing is judged
    prompt = [(float(i), i + 0.2) for i in range(40)]
    kept_up = metrics.use_of_capacity(prompt, [s for _, s in prompt], capacity=2.0)
    assert kept_up["windows"] == 0
    assert "kept up" in report._backlogged({"while_texts_waited": kept_up, "capacity_per_second": 2.0})


def test_voice_latencies_are_kept_apart_from_texting_chairs():
    outcomes = [{"channel": "sms", "webhook_ms": [(1.0, 10.0), (200.0, 30.0)]},
                {"channel": "voice", "webhook_ms": [(2.0, 99.0)]}]
    assert report.chair_latencies(outcomes, until=100.0) == [10.0]
    assert report.chair_latencies(outcomes, since=100.0) == [30.0]
    assert report.chair_latencies(outcomes, channel="voice") == [99.0]


def test_report_judges_latency_on_server_time_and_lists_every_fault():
    night = {"t0": 0.0, "outcomes": [{"precinct": "A-1", "channel": "sms", "confirms": [], "problems": [],
                                      "webhook_ms": [(10.0, 80.0), (60.0, 90.0)]}],
             "last_chair_message": 100.0, "all_recorded_at": 101.0, "flood_latency": [5.0, -1.0],
             "faults": [], "flood_multiple": {"asked": 10.0, "reached": 10.0}}
    web = [(1000.0, 700.0), (900.0, 500.0), (1100.0, 800.0)]  # round ratios 0.7, 0.556, 0.727
    ceilings = {"webhook": ceilings_mod.paired(3, iter([{"per_second": n, "p99_ms": 1.0} for n, _ in web]).__next__,
                                               iter([{"per_second": o, "p99_ms": 9.0} for _, o in web]).__next__)}
    zero = {"reports_lost": 0, "reports_recorded_twice": 0, "texts_handled_twice": 0, "replies_never_sent": 0,
            "stages_expected": 3, "confirmations_without_reply": 0}
    sending = {"messages": 6, "numbers_used": 2, "overall_per_second": 1.5, "configured_per_number": 1.0,
               "max_in_any_1s_per_number": 1, "max_in_any_10s_per_number": 10,
               "queue_wait_s": {"priority_0": {"p50": 0.1, "p99": 0.2}},
               "other_sent_while_confirmation_waited": 0, "other_messages_sent": 3, "capacity_per_second": 2.0,
               "while_texts_waited": {"windows": 2, "seconds": 10, "share_of_capacity_p50": 0.95,
                                      "share_of_capacity_min": 0.9}}
    jobs = {**ceilings_mod.paired(1, lambda: {"per_second": 800.0}, lambda: {"per_second": 300.0}),
            "worker_class": "SimpleWorker", "processors": 2}
    server = {"chairs_before_flood": [10.0, 12.0], "chairs_during_flood": [15.0, 30.0], "flood": [2.0]}
    r = report.build(night, ceilings, zero, [(1.0, 0.05)], sending, jobs, 100.0, server)
    r.update(faults=[{"fault": "kill -9 processor-0", "started": 30.0, "ended": 33.0, "confirmations": 4,
                      "lost": 1, "without_reply": 0}],
             failed_jobs={"count": 1, "explained_by_backlog_item": 1, "unexplained": []})
    verdicts = report.verdicts(r, send_rate=1.0)
    # The client saw 80-90 ms, the server 12 ms: the verdict is on the server's own time.
    assert r["webhooks"]["chairs_before_flood"]["p99_ms"] == 80.0
    assert verdicts["webhook p99 < 50 ms at caucus-night rate (server time)"] is True
    assert r["flood_slowdown_p99"] == 2.5 and verdicts["10x flood at most doubles chairs' p99 (server time)"] is False
    assert verdicts["job throughput >= 0.5x RQ no-op"] is False  # 300 / 800
    assert verdicts["webhook throughput >= 0.6x no-op"] is True  # the median round, 0.7
    assert r["webhook_capacity"]["round_ratios"] == [0.7, 0.556, 0.727]
    assert verdicts["fault 'kill -9 processor-0': 0 reports lost"] is False
    assert any("kill -9 processor-0" in line and "lost 1" in line for line in report.summary(r))
    r["drill_seconds"] = 512.3
    assert "the drill took 8 min 32 s, setup and teardown included" in report.summary(r)


def test_a_flood_that_fell_short_of_its_rate_fails_its_verdict():
    """The flood's generator runs on idle CPU only; a starved one must not pass for a 10x flood."""
    flood_verdict = "10x flood at most doubles chairs' p99 (server time)"
    r = {"flood_slowdown_p99": 1.5, "flood_multiple": {"asked": 10.0, "reached": 9.4}}

    def judged(reached: float) -> bool:
        r["flood_multiple"]["reached"] = reached
        return report.verdicts({**_passing_report(), **r}, send_rate=1.0)[flood_verdict]

    assert judged(9.4) is True
    assert judged(8.5) is False
    r["flood_slowdown_p99"] = 2.1
    assert judged(10.0) is False


def _passing_report() -> dict:
    zero = {"reports_lost": 0, "reports_recorded_twice": 0, "texts_handled_twice": 0, "replies_never_sent": 0}
    return {"webhook_capacity": {"ratio": 0.7}, "webhooks": {"server_side": {"chairs_before_flood": {"p99_ms": 20}}},
            "jobs": {"ratio": 0.6}, "last_chair_message_to_all_recorded_s": 1.0,
            "sending": {"max_in_any_10s_per_number": 10, "other_sent_while_confirmation_waited": 0,
                        "other_messages_sent": 1},
            "must_be_zero": zero, "chair_problem_count": 0, "failed_jobs": {"unexplained": []}, "faults": []}


def test_paired_rounds_alternate_which_side_goes_first_and_take_the_median_ratio():
    calls: list[str] = []
    noop_rates, our_rates = iter([100.0, 200.0, 100.0]), iter([50.0, 60.0, 80.0])

    def noop() -> dict:
        calls.append("noop")
        return {"per_second": next(noop_rates)}

    def ours() -> dict:
        calls.append("ours")
        return {"per_second": next(our_rates)}

    result = ceilings_mod.paired(3, noop, ours)
    assert calls == ["noop", "ours", "ours", "noop", "noop", "ours"]
    assert [p["ratio"] for p in result["rounds"]] == [0.5, 0.3, 0.8]
    assert result["ratio"] == 0.5 and result["ours_per_second"] == 60.0 and result["noop_per_second"] == 100.0


def test_job_rate_runs_from_the_first_job_done_to_the_last():
    assert ceilings_mod.rate([10.0, 10.5, 11.0, 12.0])["per_second"] == 1.5  # 3 more jobs in 2 s
    assert ceilings_mod.rate([5.0])["per_second"] == 0.0


def test_job_rate_sums_each_workers_own_rate():
    # "a" resumed a second before "b" and finished alone: 2/s each while both ran, 4/s together.
    done = [("a", 10.0), ("a", 10.5), ("a", 11.0), ("a", 11.5), ("a", 12.0),
            ("b", 11.0), ("b", 11.5), ("b", 12.0)]
    together = ceilings_mod.rate_by_worker(done)
    assert together["per_second"] == 4.0 and together["jobs"] == 8 and together["workers"] == 2
    # one span from first to last would have said 7 jobs in 2 s
    assert ceilings_mod.rate([t for _, t in done])["per_second"] == 3.5
    assert ceilings_mod.rate_by_worker(done, since=11.0)["per_second"] == 4.0


def test_the_default_drill_is_judged_on_its_own_length_when_it_was_measured():
    verdict = "the drill ran in under 10 minutes"
    r = {**_passing_report(), "flood_multiple": {"asked": 0.0, "reached": 0.0}}
    assert verdict not in report.verdicts(r, send_rate=1.0)  # not measured: not judged
    r["drill_at_defaults"] = True
    assert report.verdicts({**r, "drill_seconds": 599.0}, send_rate=1.0)[verdict] is True
    assert report.verdicts({**r, "drill_seconds": 612.5}, send_rate=1.0)[verdict] is False
    # a night other than the default (say a 15-minute burst) is not held to the bound
    assert verdict not in report.verdicts({**r, "drill_seconds": 1200.0, "drill_at_defaults": False},
                                          send_rate=1.0)
