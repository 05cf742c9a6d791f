"""The drill's CPU-by-role figures, from a /proc written by the test."""
from __future__ import annotations

import os
from pathlib import Path

from hotline_drill import cpu, report


def write_proc(root: Path, processes: dict[int, tuple[int, int, int]], busy: int, idle: int) -> None:
    """processes: pid -> (process group, utime, stime), as /proc/<pid>/stat has them."""
    for pid, (group, utime, stime) in processes.items():
        (root / str(pid)).mkdir(exist_ok=True)
        # comm may hold spaces and parentheses; fields after it: state ppid pgrp ... utime(14) stime(15)
        rest = ["S", "1", str(group)] + ["0"] * 8 + [str(utime), str(stime)] + ["0"] * 5
        (root / str(pid) / "stat").write_text(f"{pid} (gunicorn: worker (x)) " + " ".join(rest))
    (root / "stat").write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 1 2 3 4\n")


def test_cores_by_role_come_from_process_groups(tmp_path):
    hz, own = os.sysconf("SC_CLK_TCK"), os.getpgrp()
    sampler = cpu.CpuSampler(lambda: {100: "web", 200: "processors"}, proc=tmp_path)
    sampler.cpus = 2
    # web: master 100 and a worker 101 in its group; a processor; the drill's own group; a stranger
    write_proc(tmp_path, {100: (100, 0, 0), 101: (100, 10, 0), 200: (200, 5, 5), 300: (own, 0, 0),
                          400: (400, 50, 0)}, busy=0, idle=0)
    before, busy_before = cpu.read_ticks(tmp_path), cpu.machine_busy_ticks(tmp_path)
    # one second later (2 cores: 2 * hz ticks in all), 1.5 of them busy
    write_proc(tmp_path, {100: (100, 0, 0), 101: (100, 10 + hz // 2, 0), 200: (200, 5 + hz // 4, 5 + hz // 4),
                          300: (own, hz // 10, 0), 400: (400, 50 + hz, 0), 500: (500, 7, 0)},
               busy=3 * hz // 2, idle=hz // 2)
    spent = sampler.spent(before, cpu.read_ticks(tmp_path), busy_before, cpu.machine_busy_ticks(tmp_path), own)
    assert spent == {"web": 0.5, "processors": 0.5, cpu.GENERATORS: 0.1, "machine": 1.5}


def test_a_window_averages_the_samples_inside_it_and_the_summary_reads_them():
    sampler = cpu.CpuSampler(dict)
    sampler.samples = [(0.0, 1.0, {"web": 0.2}), (1.0, 2.0, {"web": 0.4, "machine": 1.0}),
                       (2.0, 3.0, {"web": 0.9, "senders": 0.3, "machine": 1.9})]
    assert sampler.cores(0.0, 2.0) == {"web": 0.3, "machine": 0.5}
    assert sampler.cores(2.0, 3.0) == {"web": 0.9, "senders": 0.3, "machine": 1.9}
    assert sampler.cores(5.0, 9.0) == {}
    line = report._cpu({"cpus": 2, "before_flood": sampler.cores(0.0, 2.0), "during_flood": sampler.cores(2.0, 3.0)})
    assert line == ("CPU cores before / during the flood: web 0.3 / 0.9, senders 0.0 / 0.3; "
                    "the machine busy 0.5 / 1.9 of 2")


def test_roles_by_process_name():
    names = ("web", "processor-1", "sender-0", "standin", "redis", "noop-web", "noop-worker-1", "phones")
    assert [cpu.role_of(n) for n in names] == [
        "web", "processors", "senders", "Twilio stand-in", "Redis", "no-op ceilings", "no-op ceilings",
        cpu.GENERATORS]
