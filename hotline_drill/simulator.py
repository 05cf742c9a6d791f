"""`hotline-drill simulate`: chairs texting a running server, with signed Twilio-style webhooks."""
from __future__ import annotations

import csv
import json
import os
import random
import re
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import click
import requests
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline.adapters.db import Database
from hotline.adapters.models import OutboundMessage
from hotline.config import Config
from hotline.domain.model import Stage
from hotline.services.ops import status
from hotline_drill.simulation import caucus_night, stage_text

CODE = re.compile(r"YES (\d{4,6})")


class Phone:
    """Sends signed webhooks as one number and reads the replies to it from the outbox."""

    def __init__(self, base_url: str, signed_base: str, token: str, db: Database, number: str,
                 account: str = "AC" + "0" * 32) -> None:
        self.url, self.signed_url = f"{base_url}/twilio/sms", f"{signed_base}/twilio/sms"
        self.validator, self.db, self.number = RequestValidator(token), db, number
        self.account = account  # the hotline refuses webhooks of any other account
        self.last_seen = self._newest_id()

    def _newest_id(self) -> int:
        with self.db.transaction() as uow:
            return uow.session.scalar(select(OutboundMessage.id).where(
                OutboundMessage.to_number == self.number).order_by(OutboundMessage.id.desc()).limit(1)) or 0

    def text(self, body: str, session: requests.Session) -> float:
        """POST one signed inbound SMS; returns the wall-clock time it was sent."""
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": self.account,
                "From": self.number, "To": "+15155550100", "Body": body, "NumMedia": "0"}
        sig = self.validator.compute_signature(self.signed_url, form)
        sent = time.time()
        resp = session.post(self.url, data=form, headers={"X-Twilio-Signature": sig}, timeout=10)
        resp.raise_for_status()
        return sent

    def reply(self, timeout: float) -> OutboundMessage | None:
        """The next text sent to this number, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.transaction() as uow:
                msg = uow.session.execute(select(OutboundMessage).where(
                    OutboundMessage.to_number == self.number, OutboundMessage.id > self.last_seen)
                    .order_by(OutboundMessage.id).limit(1)).scalar_one_or_none()
            if msg is not None:
                self.last_seen = msg.id
                return msg
            time.sleep(0.05)
        return None


@dataclass
class Tally:
    texts: int = 0
    readbacks: int = 0
    recorded: int = 0
    problems: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def chair_night(row: dict[str, str], opts: dict, db: Database, cands: list, tally: Tally, seed: int) -> None:
    """One chair reports all three stages and confirms each with the code."""
    rng = random.Random(seed)
    number = row["phones"].split(";")[0]
    phone = Phone(opts["url"], opts["signed_base"], opts["token"], db, number, opts["account"])
    night = caucus_night(rng, cands, int(row["delegates"] or 5))
    http = requests.Session()
    for stage, counts in ((Stage.FIRST, night.first), (Stage.FINAL, night.final),
                          (Stage.DELEGATES, night.delegates)):
        messy = rng.random() < opts["messy"]
        body = stage_text(rng, stage, counts, messy=messy,
                          attendance=night.attendance if stage is Stage.FIRST else None)
        sent = phone.text(body, http)
        reply = phone.reply(opts["timeout"])
        with tally.lock:
            tally.texts += 1
        if reply is None or reply.kind != "readback":
            with tally.lock:
                tally.problems.append(f"{row['precinct']} {stage.value}: "
                                      f"{reply.body if reply else 'no reply'} <- {body!r}")
            continue
        code = CODE.search(reply.body)
        with tally.lock:
            tally.readbacks += 1
            tally.latencies.append(reply.created_at.timestamp() - sent)
        if rng.random() < opts["wrong_code"]:
            phone.text(f"YES {int(code.group(1)) % 9000 + 1000 if code else 1111}", http)
            phone.reply(opts["timeout"])
        phone.text(f"yes {code.group(1) if code else ''}", http)
        done = phone.reply(opts["timeout"])
        with tally.lock:
            if done is not None and done.kind == "recorded":
                tally.recorded += 1
            else:
                tally.problems.append(f"{row['precinct']} {stage.value} confirm: {done.body if done else 'no reply'}")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


ADDRESS_FILE = "local-address"  # what `hotline run` writes in the instance folder while it runs


def default_url(config: Config | None = None) -> str:
    """The server to talk to: $PORT when set, else the address `hotline run` (`make run PORT=...`)
    left in the instance folder, else port 5000."""
    if os.environ.get("PORT"):
        return f"http://127.0.0.1:{os.environ['PORT']}"
    config = config or Config.from_env()
    try:
        written = (config.instance_path / ADDRESS_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        written = ""
    return written if written.startswith("http") else "http://127.0.0.1:5000"


@click.command("simulate")
@click.option("--url", default=None, show_default="http://127.0.0.1:$PORT, else the port `make run` uses, else 5000",
              help="The running server.")
@click.option("--precincts", default=10, show_default=True, help="How many chairs report.")
@click.option("--messy", default=0.1, show_default=True, help="Share of texts written messily.")
@click.option("--wrong-code", default=0.05, show_default=True, help="Share of confirmations with a wrong code first.")
@click.option("--concurrency", default=8, show_default=True)
@click.option("--roster", "roster_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="Roster CSV with PINs (default: instance/demo_roster.csv).")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for each reply.")
@click.option("--seed", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def simulate_command(url: str | None, precincts: int, messy: float, wrong_code: float, concurrency: int,
                     roster_path: Path | None, timeout: float, seed: int, as_json: bool) -> None:
    """Play chairs reporting a caucus night against a running server (replies read from the outbox)."""
    config = Config.from_env()
    url = url or default_url(config)
    db = Database(config.database_url)
    with (roster_path or config.instance_path / "demo_roster.csv").open(encoding="utf-8") as roster:
        rows = list(csv.DictReader(roster))
    with db.transaction() as uow:
        cands = status.candidates(uow.session)
    opts = {"url": url.rstrip("/"), "signed_base": config.public_base_url or url.rstrip("/"),
            "token": config.twilio_auth_token, "account": config.twilio_account_sid or "AC" + "0" * 32,
            "messy": messy, "wrong_code": wrong_code, "timeout": timeout}
    try:
        requests.get(f"{url.rstrip('/')}/healthz", timeout=5)
    except requests.RequestException as exc:
        raise click.ClickException(f"No hotline answers at {url} ({exc.__class__.__name__}). Start it "
                                   "with `make run` (PORT=... if you changed the port) or pass --url.")
    tally, started = Tally(), time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(chair_night, row, opts, db, cands, tally, seed * 100003 + i)
                   for i, row in enumerate(rows[:precincts])]
        for f in futures:
            f.result()
    summary = {"precincts": min(precincts, len(rows)), "texts_with_results": tally.texts,
               "readbacks": tally.readbacks, "stages_recorded": tally.recorded,
               "seconds": round(time.monotonic() - started, 2),
               "webhook_to_readback_ms": {"median": round(statistics.median(tally.latencies) * 1000, 1) if tally.latencies else None,
                                          "p95": round(_pct(tally.latencies, 0.95) * 1000, 1),
                                          "max": round(max(tally.latencies, default=float("nan")) * 1000, 1)},
               "problems": tally.problems[:20]}
    click.echo(json.dumps(summary, indent=2) if as_json else _human(summary))
    if tally.problems:
        raise SystemExit(1)


def _human(s: dict) -> str:
    lat = s["webhook_to_readback_ms"]
    lines = [f"{s['precincts']} chairs sent {s['texts_with_results']} result texts in {s['seconds']} s",
             f"read-backs: {s['readbacks']}, stages recorded: {s['stages_recorded']}",
             f"webhook -> read-back in outbox: median {lat['median']} ms, p95 {lat['p95']} ms, max {lat['max']} ms"]
    lines += [f"PROBLEM: {p}" for p in s["problems"]]
    return "\n".join(lines)
