"""Simulated staff in the drill: volunteers working the console's queue through its web pages.

The accounts are created with `hotline users add`, run as a command (the harness does not import
the CLI), before the web starts. During the night each staff member, one thread in a client
process of its own, signs in at /login, polls /console/queue.json, claims the top unclaimed item,
takes a human-like moment and acts by kind: a source conflict is settled for the chair's figures
(the Second source panel's form), anything else is resolved with a note. Once the night is over
they work on while anything is left for them, for a bounded time. Afterwards `judge` reads what
they did from the hotline's own rows.
"""
from __future__ import annotations

import html
import multiprocessing as mp
import os
import queue as queue_mod
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem
from hotline_drill import load

PASSWORD = "drill-staff-password"  # a drill instance's accounts only
CONFLICT, FAILED_CHECK = "source_conflict", "failed_check"
# The queue shows each kind's plain-words label, not its name. Only the kinds staff treat apart are
# named here (hotline/services/console/claims.py KIND_LABELS; a test keeps the two in step); an
# unknown label is resolved with the plain note, which settles a conflict all the same.
LABELS = {"An observer's counts differ from the chair's: compare, then settle": CONFLICT,
          "Report failed a check": FAILED_CHECK}
NOTES = {CONFLICT: "drill: compared the worksheet photo; the chair's figures stand",
         FAILED_CHECK: "drill: called the chair; the report is right"}
NOTE = "drill: looked at it"
TRIES = 3  # acts on one item before giving it back (a refusal the drill cannot mend)
TIMEOUT = 10.0  # seconds for any one request (a fault may hold the web up)


@dataclass(frozen=True)
class Shift:
    """Who works and at what pace."""

    names: tuple[str, ...]
    think: tuple[float, float] = (1.0, 4.0)  # seconds between claiming an item and acting on it
    poll: float = 1.5  # seconds between looks at an empty queue
    drain: float = 60.0  # once the night is over, work on at most this long while items wait
    seed: int = 0


def names(n: int) -> tuple[str, ...]:
    return tuple(f"drill-staff-{i + 1}" for i in range(n))


def register(database_url: str, folder: Path, accounts: Sequence[str], password: str = PASSWORD) -> None:
    """Create the staff accounts with the product's own command."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # no Redis: nothing to queue
    env.update({"HOTLINE_ENV": "development", "HOTLINE_INSTANCE_PATH": str(folder), "DATABASE_URL": database_url})
    # `hotline users add NAME --password P --role staff` for each name, in one process: starting
    # the CLI takes two seconds, most of a small test night's setup.
    script = ("import sys\nfrom hotline.cli import cli\nfor name in sys.argv[2:]:\n"
              "    cli(['users', 'add', name, '--password', sys.argv[1], '--role', 'staff'], standalone_mode=False)")
    done = subprocess.run([sys.executable, "-c", script, password, *accounts],
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise RuntimeError(f"hotline users add failed: {said[-1] if said else done.returncode}")


# --- Reading the console's pages (pure) ---

@dataclass(frozen=True)
class Row:
    """One queue row as a staff member sees it."""

    item_id: int
    kind: str | None  # None: a kind the drill does not tell apart
    precinct: str | None
    claimed: bool  # someone holds it (maybe me)
    mine: bool  # I hold it (its button says Continue)


_ROW = re.compile(r'<tr id="row-(\d+)"([^>]*)>(.*?)</tr>', re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def rows(rows_html: str) -> list[Row]:
    """The queue's rows (queue.json's rows_html, console/_queue_rows.html), in the queue's order."""
    out = []
    for item_id, attrs, body in _ROW.findall(rows_html):
        cells = _CELL.findall(body)
        if len(cells) < 6:
            continue
        claimed = bool(re.search(r'class="[^"]*\bclaimed\b', attrs))
        where = cells[2]
        # A precinct's cell is "CODE <small>county</small>"; an item without one shows a phone.
        precinct = (_text(where.split("<small>")[0]) or None) if "<small>" in where else None
        out.append(Row(int(item_id), LABELS.get(_text(cells[1])), precinct, claimed,
                       mine=claimed and 'data-action="claim"' in cells[5]))
    return out


def csrf_token(page: str) -> str | None:
    found = _TOKEN.search(page)
    return found.group(1) if found else None


def next_item(queue: Sequence[Row], skip: Collection[int] = ()) -> Row | None:
    """What a volunteer takes next: an item they already hold, else the top unclaimed one."""
    for row in queue:
        if row.mine and row.item_id not in skip:
            return row
    return next((row for row in queue if not row.claimed and row.item_id not in skip), None)


# --- One staff member's browser ---

class Console:
    """A staff member's session on the console, through its real pages and forms."""

    def __init__(self, url: str, name: str, password: str = PASSWORD) -> None:
        self.url, self.name, self.password = url, name, password
        self.http = requests.Session()
        self.token: str | None = None

    def sign_in(self) -> bool:
        page = self._get("/login")
        answer = self.http.post(f"{self.url}/login", timeout=TIMEOUT, allow_redirects=False, headers=_stamp(), data={
            "csrf_token": csrf_token(page.text) or "", "next": "", "username": self.name,
            "password": self.password})
        if answer.status_code != 302 or _path(answer).startswith("/login"):
            return False
        # Sign-in gives the session a fresh token: read it from the page it leads to.
        self.token = csrf_token(self._get("/console/").text)
        return self.token is not None

    def queue(self) -> list[Row] | None:
        """The queue, or None when it could not be read (signed in again when the session ended)."""
        got = self._get("/console/queue.json?scope=all")
        if got.status_code == 401:
            self.sign_in()
            return None
        if got.status_code != 200:
            return None
        body = got.json()["rows_html"]
        self.token = csrf_token(body) or self.token
        return rows(body)

    def claim(self, item_id: int) -> bool:
        """Taken: the answer leads to the item's page (back to the queue when someone was first)."""
        return _path(self._post(f"/console/items/{item_id}/claim", {})) == f"/console/items/{item_id}"

    def resolve(self, item_id: int, note: str) -> bool:
        """Closed: the answer leads back to the queue (to the item's page when refused)."""
        return _path(self._post(f"/console/items/{item_id}/resolve", {"note": note})) == "/console/"

    def confirm_chair(self, code: str, item_id: int, note: str) -> None:
        """The Second source panel's form. It leads back to the item either way; whether it took is
        seen on the next look at the queue (the item gone, or still mine to resolve)."""
        self._post(f"/console/precincts/{code}/sources/confirm-chair", {"note": note, "next": f"/console/items/{item_id}"})

    def release(self, item_id: int) -> None:
        self._post(f"/console/items/{item_id}/release", {})

    def _get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.url}{path}", timeout=TIMEOUT, headers=_stamp())

    def _post(self, path: str, form: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.url}{path}", data={**form, "csrf_token": self.token or ""},
                              timeout=TIMEOUT, allow_redirects=False, headers=_stamp())


def _stamp() -> dict[str, str]:
    """Who and when, for the access log: the report shows the console's server times as "staff"."""
    return {"X-Drill-Client": "staff", "X-Drill-At": f"{time.time():.3f}"}


def _path(answer: requests.Response) -> str:
    return urlsplit(answer.headers.get("Location", "")).path if answer.status_code in (302, 303) else ""


@dataclass
class Worked:
    """What one staff member did: each act (item, kind, how, claimed_at, done_at, ok) and problems."""

    name: str
    signed_in: bool = False
    acts: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def work(url: str, name: str, shift: Shift, over: Any, rng: random.Random) -> Worked:
    """Sign in, then work the queue until the night is `over` and nothing is left for us (or the
    drain time has passed)."""
    out, console = Worked(name), Console(url, name)
    tries: dict[int, int] = {}
    claimed: dict[int, float] = {}  # item -> when I claimed it (a second try keeps the first claim)
    skip: set[int] = set()
    over_since: float | None = None
    while True:
        if over.is_set() and over_since is None:
            over_since = time.monotonic()
        if over_since is not None and time.monotonic() - over_since > shift.drain:
            break
        try:
            if not out.signed_in:
                out.signed_in = console.sign_in()
                if not out.signed_in:
                    out.problems.append(f"{name}: could not sign in")
                    if len(out.problems) > 25:
                        break
                    time.sleep(shift.poll)
                    continue
            found = console.queue()
            row = next_item(found, skip) if found is not None else None
            if row is None:
                if found is not None and over_since is not None:
                    break  # the night is over and nothing waits for me
                time.sleep(shift.poll)
                continue
            if not row.mine and not console.claim(row.item_id):
                continue  # someone else was first: look again
            claimed_at = claimed.setdefault(row.item_id, time.time())
            if not row.mine:
                time.sleep(rng.uniform(*shift.think))  # reading the item, the photo, calling the chair
            n = tries[row.item_id] = tries.get(row.item_id, 0) + 1
            note = NOTES.get(row.kind or "", NOTE)
            if row.kind == CONFLICT and row.precinct and n == 1:
                console.confirm_chair(row.precinct, row.item_id, note)
                how, ok = "confirm-chair", True
            else:
                how, ok = "resolve", console.resolve(row.item_id, note)
            out.acts.append({"item": row.item_id, "kind": row.kind, "how": how, "claimed_at": claimed_at,
                             "done_at": time.time(), "ok": ok})
            if not ok and n >= TRIES:
                skip.add(row.item_id)
                console.release(row.item_id)
                out.problems.append(f"{name}: item {row.item_id} refused {n} times; released it")
        except (requests.RequestException, ValueError, KeyError) as exc:  # an outage: look again shortly
            if len(out.problems) < 25:
                out.problems.append(f"{name}: {exc!r}"[:200])
            time.sleep(shift.poll)
    return out


def _process(url: str, shift: Shift, over: Any, results: "mp.Queue[dict]") -> None:
    load.idle_priority()
    done: list[Worked] = []

    def one(i: int, name: str) -> None:
        try:
            done.append(work(url, name, shift, over, random.Random(shift.seed * 101 + i)))
        except Exception as exc:  # noqa: BLE001 - one staff member's crash is a finding
            done.append(Worked(name, problems=[f"{name}: client error {exc!r}"]))

    threads = [threading.Thread(target=one, args=(i, n), daemon=True) for i, n in enumerate(shift.names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in done:
        results.put(asdict(w))


@dataclass
class Running:
    """The staff's client process, started with the night."""

    procs: list[Any]
    results: "mp.Queue[dict]"
    over: Any
    expected: int

    def finish(self, timeout: float = 120.0) -> list[dict]:
        """Tell the staff the night is over; their record once they have worked off the queue."""
        self.over.set()
        got: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(got) < self.expected and time.monotonic() < deadline:
            try:
                got.append(self.results.get(timeout=1.0))
            except queue_mod.Empty:
                if not any(p.is_alive() for p in self.procs) and self.results.empty():
                    break
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        return got


def start(url: str, shift: Shift, generators: set[int] | None = None) -> Running:
    """Put every staff member on shift in one client process (a thread each)."""
    results: "mp.Queue[dict]" = mp.Queue()
    over = mp.Event()
    procs = []
    if shift.names:
        procs.append(mp.Process(target=_process, args=(url, shift, over, results), daemon=True))
        procs[0].start()
        if generators is not None and procs[0].pid is not None:
            generators.add(procs[0].pid)
    return Running(procs, results, over, len(shift.names))


# --- Afterwards ---

def judge(s: Session, worked: Sequence[dict], staff: Sequence[str], observers: bool) -> dict[str, Any]:
    """What the staff settled, read from the hotline's rows; claim-to-resolve from their own clocks
    (only for items the hotline shows them closing)."""
    closed = {item_id: who for item_id, who in s.execute(
        select(BacklogItem.id, BacklogItem.resolved_by).where(BacklogItem.resolved_by.in_(list(staff) or [""])))}
    durations = [a["done_at"] - a["claimed_at"] for w in worked for a in w["acts"]
                 if closed.get(a["item"]) == w["name"]]
    conflicts = list(s.execute(select(BacklogItem.resolved_at, BacklogItem.resolved_by)
                               .where(BacklogItem.kind == CONFLICT)))
    waiting = s.scalar(select(func.count()).select_from(BacklogItem).where(BacklogItem.resolved_at.is_(None)))
    return {"staff": len(staff), "on_shift": sum(1 for w in worked if w["signed_in"]),
            "resolved": len(closed), "median_claim_to_resolve_s": round(statistics.median(durations), 1)
            if durations else None,
            "left_waiting": waiting or 0, "observers": observers,
            "conflicts": {"items": len(conflicts), "open": sum(1 for at, _ in conflicts if at is None),
                          "settled_by_staff": sum(1 for at, who in conflicts if at is not None and who in staff)},
            "problems": [p for w in worked for p in w["problems"]][:25]}


def line(r: dict[str, Any]) -> str:
    """`staff: 3 on shift, 41 items resolved (median claim to resolve 2.1 s), 0 left waiting`"""
    median = r["median_claim_to_resolve_s"]
    text = (f"staff: {r['on_shift']} on shift, {r['resolved']} items resolved (median claim to resolve "
            f"{'-' if median is None else f'{median:.1f} s'}), {r['left_waiting']} left waiting")
    c = r["conflicts"]
    if c["items"]:
        text += f"; source conflicts {c['items']}: {c['settled_by_staff']} settled by staff, {c['open']} open"
    if r["on_shift"] < r["staff"]:
        text += f"; {r['staff'] - r['on_shift']} could not sign in"
    return text


def verdicts(r: dict[str, Any] | None) -> dict[str, bool]:
    """Judged only when the night had both staff and observers."""
    if not r or not r["staff"] or not r["observers"]:
        return {}
    return {"staff: every source_conflict settled by the end": r["conflicts"]["open"] == 0}
