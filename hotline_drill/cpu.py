"""Where the machine's cores went while the drill ran: CPU by role, read from /proc (Linux).

Every part of the system runs in a process group of its own (the cluster starts each with a new
session), so a process's group says whose it is: gunicorn's workers count as the web, a
worker's as a processor or sender. The load generators are the chairs' and the flood's
processes (each leads a session of its own, registered by the drill), the drill's own group and
the Redis that stands for the handsets. Elsewhere than Linux the sampler records nothing and the
report says so.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

PROC = Path("/proc")
GENERATORS = "load generators"


def role_of(name: str) -> str:
    """A cluster process's name (web, processor-1, sender-0, standin, redis ...) as a role."""
    return {"processor": "processors", "sender": "senders", "web": "web", "standin": "Twilio stand-in",
            "redis": "Redis", "noop": "no-op ceilings",
            "phones": GENERATORS}.get(name.split("-")[0], name)  # the handsets' Redis is the world's


def read_ticks(proc: Path = PROC) -> dict[int, tuple[int, int]]:
    """Each process's group and the CPU it has used so far, in clock ticks (user + system)."""
    out: dict[int, tuple[int, int]] = {}
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            # After the command name (which may hold spaces and parentheses): state, ppid, pgrp, ...
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone since the listing
        out[int(entry.name)] = (int(fields[2]), int(fields[11]) + int(fields[12]))
    return out


def machine_busy_ticks(proc: Path = PROC) -> tuple[int, int]:
    """All cores' busy and total ticks so far (/proc/stat's first line; idle and iowait are idle)."""
    try:
        values = [int(v) for v in (proc / "stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class CpuSampler:
    """Samples every `every` seconds in a thread; `cores(since, until)` averages a window."""

    def __init__(self, groups: Callable[[], dict[int, str]], every: float = 1.0, proc: Path = PROC) -> None:
        self.groups, self.every, self.proc = groups, every, proc
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.cpus = os.cpu_count() or 1
        self.samples: list[tuple[float, float, dict[str, float]]] = []  # (from, to, cores by role)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "CpuSampler":
        if self.proc.is_dir():
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        before, busy_before, at = read_ticks(self.proc), machine_busy_ticks(self.proc), time.time()
        own = os.getpgrp()
        while not self._stop.wait(self.every):
            now, busy_now, when = read_ticks(self.proc), machine_busy_ticks(self.proc), time.time()
            self.samples.append((at, when, self.spent(before, now, busy_before, busy_now, own)))
            before, busy_before, at = now, busy_now, when

    def spent(self, before: dict[int, tuple[int, int]], now: dict[int, tuple[int, int]],
              busy_before: tuple[int, int], busy_now: tuple[int, int], own: int) -> dict[str, float]:
        """Cores used by each role between two readings (a process that started since counts from 0)."""
        names = self.groups()
        ticks: dict[str, int] = {}
        for pid, (group, used) in now.items():
            role = names.get(group) or (GENERATORS if group == own else None)
            if role is None:
                continue
            ticks[role] = ticks.get(role, 0) + used - (before[pid][1] if pid in before else 0)
        total_ticks = busy_now[1] - busy_before[1]
        seconds = total_ticks / self.cpus / self.hz if total_ticks > 0 else self.every
        cores = {role: round(t / self.hz / seconds, 3) for role, t in ticks.items()}
        if total_ticks > 0:
            cores["machine"] = round((busy_now[0] - busy_before[0]) / total_ticks * self.cpus, 3)
        return cores

    def cores(self, since: float, until: float) -> dict[str, float]:
        """Mean cores by role over the samples that fall inside [since, until]."""
        inside = [c for start, end, c in self.samples if start >= since and end <= until]
        if not inside:
            return {}
        roles = {role for c in inside for role in c}
        return {role: round(sum(c.get(role, 0.0) for c in inside) / len(inside), 2) for role in sorted(roles)}
