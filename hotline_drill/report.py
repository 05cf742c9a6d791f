"""Turn the night's measurements into figures, ratios to the ceilings, and verdicts."""
from __future__ import annotations

from typing import Any

from hotline.domain.staff_figures import duration_words
from hotline_drill import observers, staff
from hotline_drill.load import percentile, summarize_latency
from hotline_drill.metrics import BACKLOG_WINDOW, OUTAGE_AFTERMATH

DRILL_MINUTES = 10  # the bound on a whole `make drill`, on the 2-core machine


def chair_latencies(outcomes: list[dict], since: float | None = None, until: float | None = None,
                    channel: str = "sms") -> list[float]:
    return [ms for out in outcomes if out.get("channel", "sms") == channel for at, ms in out["webhook_ms"]
            if (since is None or at >= since) and (until is None or at < until)]


def build(night: dict[str, Any], ceilings: dict[str, Any], integrity: dict[str, int],
          e2e: list[tuple[float, float]], sending: dict[str, Any], jobs: dict[str, Any],
          burst: float, server: dict[str, list[float]]) -> dict[str, Any]:
    outcomes, t0 = night["outcomes"], night["t0"]
    half = t0 + 0.5 * burst
    calm, flooded = chair_latencies(outcomes, until=half), chair_latencies(outcomes, since=half)
    voice = chair_latencies(outcomes, channel="voice")
    every = chair_latencies(outcomes) + voice + [v for v in night["flood_latency"] if v >= 0]
    e2e_all = [d for _, d in e2e]
    recorded_after = (night["all_recorded_at"] - night["last_chair_message"]) if night["all_recorded_at"] else None
    web = ceilings["webhook"]
    p99_calm, p99_flood = percentile(calm, 0.99), percentile(flooded, 0.99)
    server_calm = percentile(server.get("chairs_before_flood", []), 0.99)
    server_flood = percentile(server.get("chairs_during_flood", []), 0.99)
    return {
        "precincts": len(outcomes),
        "precincts_by_voice": sum(1 for out in outcomes if out.get("channel") == "voice"),
        "webhooks": {"all": summarize_latency(every), "chairs_before_flood": summarize_latency(calm),
                     "chairs_during_flood": summarize_latency(flooded),
                     "flood": summarize_latency(night["flood_latency"]),
                     "voice_steps": summarize_latency(voice),
                     "throughput_per_second_during_night": round(len(every) / burst, 1),
                     # The same requests timed by the server (gunicorn's access log): what the
                     # hotline itself took, without the load generator's own queueing.
                     "server_side": {k: summarize_latency(v) for k, v in sorted(server.items())}},
        # Medians of alternating rounds (drill/ceilings.py); each round's figures are in "rounds".
        "webhook_capacity": {"ours_per_second": web["ours_per_second"], "noop_per_second": web["noop_per_second"],
                             "ratio": web["ratio"], "round_ratios": [p["ratio"] for p in web["rounds"]],
                             "ours_p99_ms": max(p["ours"]["p99_ms"] or 0 for p in web["rounds"])},
        "jobs": {**jobs, "round_ratios": [p["ratio"] for p in jobs["rounds"]]},
        "confirmation_to_recorded_s": {"p50": percentile(e2e_all, 0.5), "p99": percentile(e2e_all, 0.99),
                                       "count": len(e2e_all)},
        "last_chair_message_to_all_recorded_s": round(recorded_after, 2) if recorded_after is not None else None,
        # Judged on the server's own time: on one 2-core machine the load generator's threads
        # compete with the server for the CPU, and their wait is not the hotline's latency.
        "flood_slowdown_p99": round(server_flood / server_calm, 2) if server_calm and server_flood else None,
        "flood_slowdown_p99_client_side": round(p99_flood / p99_calm, 2) if p99_calm and p99_flood else None,
        # The flood's generator runs on idle CPU only (load.py): how much of its rate it reached.
        "flood_multiple": night.get("flood_multiple", {"asked": None, "reached": None}),
        "sending": sending,
        "must_be_zero": integrity,
        "chair_problems": [p for out in outcomes for p in out["problems"]][:25],
        "chair_problem_count": sum(len(out["problems"]) for out in outcomes),
        "calls_told_to_try_again": [p for out in outcomes for p in out.get("redialed", [])][:25],
    }


def verdicts(r: dict[str, Any], send_rate: float) -> dict[str, bool]:
    zero = r["must_be_zero"]
    return {
        "webhook throughput >= 0.6x no-op": (r["webhook_capacity"]["ratio"] or 0) >= 0.6,
        "webhook p99 < 50 ms at caucus-night rate (server time)":
            (r["webhooks"]["server_side"].get("chairs_before_flood", {}).get("p99_ms") or 1e9) < 50,
        "job throughput >= 0.5x RQ no-op": (r["jobs"]["ratio"] or 0) >= 0.5,
        "all precincts recorded within 10 s of the last chair message":
            r["last_chair_message_to_all_recorded_s"] is not None and r["last_chair_message_to_all_recorded_s"] <= 10,
        # Judged only when a flood was asked for (`--flood 0` plays the night without one).
        **({f"{r['flood_multiple']['asked']:g}x flood at most doubles chairs' p99 (server time)":
            (r["flood_slowdown_p99"] or 1e9) <= 2.0 and _flood_reached(r["flood_multiple"]),
            "the unknown numbers' lane runs at >= 0.8x its budget after the night":
            (r.get("unknown_lane") or {}).get("share_of_due", 0.0) >= 0.8}
           if r["flood_multiple"].get("asked") else {}),
        "sending holds the per-number rate": r["sending"]["max_in_any_10s_per_number"] <= send_rate * 10 + 1,
        "confirmations go out before other messages":
            r["sending"]["other_sent_while_confirmation_waited"] <= 0.01 * max(1, r["sending"]["other_messages_sent"]),
        "0 reports lost": zero["reports_lost"] == 0,
        "0 reports recorded twice": zero["reports_recorded_twice"] == 0,
        "0 replies never sent": zero["replies_never_sent"] == 0,
        "0 texts handled twice": zero["texts_handled_twice"] == 0,
        "every chair got an answer": r["chair_problem_count"] == 0,
        "failed jobs: none, or each one a backlog item": not r["failed_jobs"]["unexplained"],
        **{f"fault '{f['fault']}': 0 reports lost": f["lost"] == 0 for f in r["faults"]},
        **_host_loss_verdicts(r.get("hosts")),
        **observers.verdicts(r.get("observers")),
        **staff.verdicts(r.get("staff")),
        **({f"the drill ran in under {DRILL_MINUTES} minutes": r["drill_seconds"] < DRILL_MINUTES * 60}
           if r.get("drill_seconds") is not None and r.get("drill_at_defaults") else {}),
    }


def _host_loss_verdicts(h: dict[str, Any] | None) -> dict[str, bool]:
    """The host-loss fault proves something only if the lost host had texts to lose: it must have
    served webhooks before it went and again after it came back (the verdicts above cover them)."""
    if not h or not h.get("lost"):
        return {}
    row = h["served"][h["lost"]["host"]]
    return {f"host {row['host']} served webhooks before it was lost and after it came back":
            row.get("before_loss", 0) > 0 and row.get("after_return", 0) > 0}


def hosts_line(h: dict[str, Any]) -> str:
    """How many hosts, which was lost when, and the webhooks each served from the night's start."""
    per = "; ".join(f"host {s['host']} {s['webhooks']}" + (f" ({s['before_loss']} before it was lost, "
                                                            f"{s['after_return']} after it came back)"
                                                            if "before_loss" in s else "")
                    for s in h["served"])
    lost = h.get("lost")
    loss = (f"host {lost['host']} lost at {lost['at_s']} s into the night (kill -9 of "
            f"{len(lost['killed'])} processes), down {lost['down_s']} s, serving again at {lost['back_serving_s']} s"
            if lost else "no host lost")
    return f"hosts {h['count']}: {loss}; webhooks served: {per}"


def _flood_reached(multiple: dict[str, Any], share: float = 0.9) -> bool:
    """A flood that fell short of its rate proves nothing about a flood of that size."""
    return bool(multiple["asked"]) and (multiple["reached"] or 0) >= share * multiple["asked"]


def summary(r: dict[str, Any]) -> list[str]:
    """The figures a person reads first, one line each."""
    w, server, cap, jobs = r["webhooks"], r["webhooks"]["server_side"], r["webhook_capacity"], r["jobs"]

    def ms(d: dict[str, Any] | None) -> str:
        return f"p50 {d['p50_ms']} / p95 {d['p95_ms']} / p99 {d['p99_ms']} ms" if d and d.get("count") else "-"

    zero, send, fj = r["must_be_zero"], r["sending"], r["failed_jobs"]
    lines = [
        f"precincts {r['precincts']} ({r['precincts_by_voice']} by keypad call); webhooks {w['all']['count']} "
        f"({w['throughput_per_second_during_night']}/s), errors {w['all']['errors']}",
        f"chairs' texts before the flood, server: {ms(server.get('chairs_before_flood'))}; "
        f"client: {ms(w['chairs_before_flood'])}",
        f"chairs' texts during the flood, server: {ms(server.get('chairs_during_flood'))}; "
        f"client: {ms(w['chairs_during_flood'])}",
        f"flood texts, server: {ms(server.get('flood'))}; voice steps, server: {ms(server.get('voice'))}",
        *([f"chairs' texts during outages (and {OUTAGE_AFTERMATH:.0f} s after), kept out of the above, "
           f"server: {ms(server['chairs_during_outages'])}"] if server.get("chairs_during_outages") else []),
        *([f"flood slowdown of chairs' p99: {r['flood_slowdown_p99']} server, "
           f"{r['flood_slowdown_p99_client_side']} client; the flood reached {r['flood_multiple']['reached']}x "
           f"the chairs' rate (asked {r['flood_multiple']['asked']}x)"] if r["flood_multiple"].get("asked") else []),
        *([_lane(r["unknown_lane"])] if r.get("unknown_lane") else []),
        *([_cpu(r["cpu_cores"])] if r.get("cpu_cores") else []),
        f"webhook capacity: ours {cap['ours_per_second']}/s vs no-op {cap['noop_per_second']}/s = {cap['ratio']} "
        f"(median of rounds {', '.join(map(str, cap['round_ratios']))})",
        f"jobs: {jobs['ours_per_second']} texts/s vs RQ no-op {jobs['noop_per_second']}/s = {jobs['ratio']} "
        f"(median of rounds {', '.join(map(str, jobs['round_ratios']))}; {jobs['processors']} {jobs['worker_class']}s)",
        f"YES -> recorded: p50 {r['confirmation_to_recorded_s']['p50']} s, p99 {r['confirmation_to_recorded_s']['p99']} s; "
        f"last chair message -> all recorded: {r['last_chair_message_to_all_recorded_s']} s",
        f"sending: {send['messages']} texts at {send['overall_per_second']}/s over {send['numbers_used']} numbers; "
        f"most from one number in 1 s / 10 s: {send['max_in_any_1s_per_number']} / "
        f"{send['max_in_any_10s_per_number']}; queue wait "
        + ", ".join(f"{k} p50 {v['p50']} s p99 {v['p99']} s" for k, v in send["queue_wait_s"].items()),
        _backlogged(send),
        f"lost {zero['reports_lost']}, recorded twice {zero['reports_recorded_twice']}, texts handled twice "
        f"{zero['texts_handled_twice']}, replies never sent {zero['replies_never_sent']} "
        f"({zero['stages_expected']} stages); chairs left without an answer {r['chair_problem_count']}; "
        f"calls told to try again (and redialed) {len(r.get('calls_told_to_try_again', []))}",
        f"failed jobs {fj['count']}, each a backlog item: {fj['explained_by_backlog_item']}",
    ]
    lines += [f"fault '{f['fault']}': {f['confirmations']} confirmations during it (+60 s), lost {f['lost']}, "
              f"without a reply {f['without_reply']}" for f in r["faults"]]
    if r.get("hosts") and r["hosts"]["count"] > 1:
        lines.append(hosts_line(r["hosts"]))
    if r.get("observers"):
        lines.append(observers.line(r["observers"]))
    if r.get("staff"):
        lines.append(staff.line(r["staff"]))
    if r.get("figures"):
        lines += figures(r["figures"])
    if r.get("drill_seconds") is not None:
        minutes, seconds = divmod(int(r["drill_seconds"]), 60)
        lines.append(f"the drill took {minutes} min {seconds} s, setup and teardown included")
    return lines


def figures(f: dict[str, Any]) -> list[str]:
    """Per-staff figures (when staff acted during the night) and the queue as the night left it."""
    lines = [f"staff {name}: resolved {s['resolved']} (median claim to resolve "
             f"{duration_words(s['median_claim_to_resolve_s'])}), approved {s['approved']}"
             for name, s in f["staff"].items()]
    q = f["queue"]
    if not q["waiting"]:
        return lines + ["queue: no items waiting"]
    kinds = ", ".join(f"{kind} {k['waiting']} (oldest {duration_words(k['oldest_wait_s'])})"
                      for kind, k in sorted(q["by_kind"].items(), key=lambda kv: -kv[1]["waiting"]))
    return lines + [f"queue: {q['waiting']} items waiting: {kinds}; oldest wait {duration_words(q['oldest_wait_s'])}"]


def _cpu(cpu: dict[str, Any]) -> str:
    """Cores by role before / during the flood, biggest first; the machine's busy cores last."""
    before, during = cpu.get("before_flood") or {}, cpu.get("during_flood") or {}
    if not before and not during:
        return "CPU by role: not measured (no /proc here)"
    roles = sorted((set(before) | set(during)) - {"machine"}, key=lambda k: (-before.get(k, 0.0), -during.get(k, 0.0), k))
    parts = [f"{role} {before.get(role, 0.0)} / {during.get(role, 0.0)}" for role in roles]
    return (f"CPU cores before / during the flood: {', '.join(parts)}; the machine busy "
            f"{before.get('machine', '-')} / {during.get('machine', '-')} of {cpu.get('cpus', '?')}")


def _lane(lane: dict[str, Any]) -> str:
    return (f"unknown numbers' lane, in the {lane['seconds']:.0f} s after the night: {lane['handled_in_window']} "
            f"flood texts handled = {lane['per_second']}/s (budget {lane['budget_per_second']}/s; "
            f"{lane['share_of_due']} of what was due); flood texts handled in all {lane['handled']}, "
            f"waiting {lane['waiting']}, over their numbers' allowance {lane['throttled']}")


def _backlogged(send: dict[str, Any]) -> str:
    waited = send["while_texts_waited"]
    if not waited["windows"]:
        return "sending kept up: no texts waited a whole window to go out"
    return (f"while texts waited to go out ({waited['seconds']} s): sent at {waited['share_of_capacity_p50']} of "
            f"the configured {send['capacity_per_second']}/s (median of {BACKLOG_WINDOW:.0f}-s windows; "
            f"lowest {waited['share_of_capacity_min']})")
