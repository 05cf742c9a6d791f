"""Chairs playing the night over HTTP: signed webhooks out, replies read from their 'phones'."""
from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from redis import Redis
from twilio.request_validator import RequestValidator

from hotline.domain.model import Candidate, Stage
from hotline_drill.cluster import ACCOUNT_SID
from hotline_drill.simulation import caucus_night, stage_text

CODE = re.compile(r"YES (\d{4,6})")
REPLY_TIMEOUT = 90.0  # a chair waits this long for an answer before texting again


@dataclass
class Plan:
    """One chair's night: when to start, what to send, from which phones."""

    precinct: str
    phone: str
    pin: str
    start: float
    gaps: list[float]
    messy: bool
    correction: bool
    unregistered: str | None  # another phone the report is sent from, with the PIN
    seed: int
    voice: bool = False  # reports by keypad through the IVR instead of by text


@dataclass
class Outcome:
    precinct: str
    webhook_ms: list[tuple[float, float]] = field(default_factory=list)  # (sent_at, ms)
    confirms: list[dict[str, Any]] = field(default_factory=list)  # stage, counts, yes_sent_at
    problems: list[str] = field(default_factory=list)
    redialed: list[str] = field(default_factory=list)  # calls the hotline told to try again
    last_sent: float = 0.0


def signed_headers(validator: RequestValidator, url: str, form: dict[str, str], client: str) -> dict[str, str]:
    """Twilio's signature, plus who sent the request and when (the drill reads both back from the
    server's access log)."""
    return {"X-Twilio-Signature": validator.compute_signature(url, form),
            "X-Drill-Client": client, "X-Drill-At": f"{time.time():.3f}"}


class Texter:
    """Posts correctly signed Twilio webhooks and reads what the stand-in delivered to a phone."""

    def __init__(self, base_url: str, token: str, redis_url: str, duplicates: bool = False,
                 client: str = "chair", http: requests.Session | None = None) -> None:
        self.url = f"{base_url}/twilio/sms"
        self.validator = RequestValidator(token)
        self.http = http or requests.Session()  # hosts.Balanced spreads the posts over several hosts
        self.redis = Redis.from_url(redis_url)
        self.duplicates = duplicates
        self.client = client
        self.rng = random.Random(11)
        self.seen: dict[str, set[str]] = {}

    def post(self, phone: str, body: str, sid: str | None = None) -> float:
        form = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                "From": phone, "To": "+15155559000", "Body": body, "NumMedia": "0"}
        headers = signed_headers(self.validator, self.url, form, self.client)
        if self.duplicates and self.rng.random() < 0.05:
            # The same MessageSid again, seconds later (after other texts): duplicated and out of order.
            threading.Timer(self.rng.uniform(1, 3), self._resend, args=(form, headers)).start()
        started = time.perf_counter()
        for attempt in range(3):  # Twilio retries a webhook whose connection failed
            try:
                resp = self.http.post(self.url, data=form, headers=headers, timeout=15)
                resp.raise_for_status()
                break
            except requests.RequestException:
                if attempt == 2:
                    raise
                time.sleep(0.5)
        return (time.perf_counter() - started) * 1000

    def _resend(self, form: dict[str, str], headers: dict[str, str]) -> None:
        try:
            requests.post(self.url, data=form, headers=headers, timeout=15)
        except requests.RequestException:
            pass

    def reply(self, phone: str, timeout: float = REPLY_TIMEOUT) -> str | None:
        """The next text to `phone`, skipping copies of read-backs its chair has already read.

        A Twilio request that timed out may still have been sent, and was sent again: the same
        text twice, the copy arriving late, even after the answer to it. A chair who has answered
        a read-back does not answer its copy.
        """
        seen = self.seen.setdefault(phone, set())  # one chair's thread per phone
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            item = self.redis.blpop([f"drill:phone:{phone}"], timeout=max(left, 0.01))
            if not item:
                return None
            body: str = json.loads(item[1])["Body"]
            if body in seen:
                continue
            if CODE.search(body):
                seen.add(body)
            return body
        return None

    def reply_with_code(self, phone: str) -> tuple[str | None, str]:
        """Read texts to `phone` until one carries a code; returns (code, last body)."""
        body = ""
        for _ in range(4):
            body = self.reply(phone) or ""
            match = CODE.search(body)
            if match or not body:
                return (match.group(1) if match else None), body
        return None, body


def play(plan: Plan, texter: Texter, candidates: list[Candidate], delegates: int, t0: float) -> Outcome:
    """Report all three stages (and a correction when planned), confirming each with its code."""
    rng = random.Random(plan.seed)
    night = caucus_night(rng, candidates, delegates)
    out = Outcome(plan.precinct)
    stages = [(Stage.FIRST, night.first), (Stage.FINAL, night.final), (Stage.DELEGATES, night.delegates)]
    _sleep_until(t0 + plan.start)
    for i, (stage, counts) in enumerate(stages):
        if plan.correction and i == 0:
            typo = dict(counts)
            name = next(iter(typo))
            typo[name] += 10  # a slip of the finger, confirmed, then corrected below
            _report(plan, texter, rng, stage, typo, night.attendance, out)
        _report(plan, texter, rng, stage, counts, night.attendance if i == 0 else None, out)
        if i < len(plan.gaps):
            time.sleep(plan.gaps[i])
    return out


def _report(plan: Plan, texter: Texter, rng: random.Random, stage: Stage, counts: dict[str, int],
            attendance: int | None, out: Outcome) -> None:
    sender = plan.unregistered or plan.phone
    text = stage_text(rng, stage, counts, messy=plan.messy, attendance=attendance,
                      precinct=plan.precinct if plan.unregistered else None,
                      pin=plan.pin if plan.unregistered else None)
    for attempt in range(2):
        sent = time.time()
        out.webhook_ms.append((sent, texter.post(sender, text)))
        out.last_sent = time.time()
        code, body = texter.reply_with_code(plan.phone)
        if plan.unregistered:
            texter.reply(plan.unregistered, timeout=5)  # the "we texted the chair" notice
        if code:
            break
        out.problems.append(f"{plan.precinct} {stage.value}: no code ({body[:80]!r}) for {text!r}")
        text = stage_text(rng, stage, counts, messy=False, attendance=attendance,
                          precinct=plan.precinct if plan.unregistered else None,
                          pin=plan.pin if plan.unregistered else None)
    else:
        return
    time.sleep(rng.uniform(0.5, 2.0))  # reading the read-back
    yes_at = time.time()
    out.webhook_ms.append((yes_at, texter.post(plan.phone, f"YES {code}")))
    out.last_sent = time.time()
    body = texter.reply(plan.phone) or ""
    if not body.startswith("Recorded"):
        out.problems.append(f"{plan.precinct} {stage.value}: confirmation answered {body[:80]!r}")
        if body:
            return  # refused: nothing should be recorded
    # An acknowledged YES must end up recorded, even if the "Recorded" text never came back.
    out.confirms.append({"stage": stage.value, "counts": counts, "yes_sent_at": yes_at,
                         "phone": plan.phone, "answered": bool(body)})


def _sleep_until(t: float) -> None:
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)
