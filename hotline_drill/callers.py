"""Chairs reporting by phone: keypad calls through the IVR, driven over HTTP as Twilio drives them.

One call per stage: the stages are minutes apart on caucus night, so a chair calls when each
result is ready rather than holding the line. The caller answers whatever the TwiML asks
(recognised by the step its <Gather> posts to and the words it says), so a choice prompt or a
read-back warning needs no special casing, and anything unexpected ends that stage as a problem.
"""
from __future__ import annotations

import random
import re
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

import requests
from twilio.request_validator import RequestValidator

from hotline.domain import ivr
from hotline.domain.wording import voice as wording
from hotline.domain.model import Candidate, Stage
from hotline_drill.chairs import Outcome, Plan, signed_headers
from hotline_drill.cluster import ACCOUNT_SID
from hotline_drill.simulation import caucus_night

TWILIO_NUMBER = "+15155559000"
REDIAL_SECONDS = 10.0
# "For D S M 42, press 1." (choose) and "For final alignment, press 2." (stage)
OPTION = re.compile(r"For ([^.,]+), press (\d)\.")
# The count prompt with the candidate's spoken name as a group, built from the IVR's own wording.
CANDIDATE = re.compile(re.escape(wording.PROMPTS["count"]).replace(re.escape("{candidate}"), "(.+)"))


@dataclass
class Answer:
    """One TwiML answer as a caller experiences it: what was said, and where the keys go next."""

    status: int
    says: list[str] = field(default_factory=list)
    action: str | None = None  # absolute URL of the <Gather>, None when the answer asks nothing
    step: str | None = None  # the IVR step that action posts to: "menu", "pin", "count", ...

    @property
    def text(self) -> str:
        return " ".join(self.says)


class Caller:
    """One phone call: signed form posts to the voice URL, then to each <Gather> action in turn."""

    def __init__(self, base_url: str, token: str, phone: str, session: requests.Session | None = None,
                 sid: str | None = None) -> None:
        self.url = f"{base_url.rstrip('/')}/twilio/voice"
        self.validator = RequestValidator(token)
        self.http = session or requests.Session()
        self.phone = phone
        self.sid = sid or "CA" + uuid.uuid4().hex
        self.answer: Answer | None = None
        self.timings: list[tuple[float, float]] = []  # (sent_at, ms) of every request
        self.last_sent_at = 0.0

    def start(self) -> Answer:
        """The call connects: Twilio requests the number's voice URL."""
        return self._post(self.url, {})

    def press(self, digits: str) -> Answer:
        """Keys for the current <Gather> (Twilio drops the finishing #, so none is sent)."""
        if self.answer is None or self.answer.action is None:
            raise ValueError("the last answer asked for no keys")
        return self._post(self.answer.action, {"Digits": digits})

    def _post(self, url: str, extra: dict[str, str]) -> Answer:
        form = {"CallSid": self.sid, "AccountSid": ACCOUNT_SID, "From": self.phone, "To": TWILIO_NUMBER,
                "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}
        headers = signed_headers(self.validator, url, form, "voice")
        self.last_sent_at = float(headers["X-Drill-At"])  # the stamp the server's log shows
        started = time.perf_counter()
        resp = self.http.post(url, data=form, headers=headers, timeout=15)
        self.timings.append((self.last_sent_at, (time.perf_counter() - started) * 1000))
        self.answer = _parse(resp, url)
        return self.answer


def _parse(resp: requests.Response, url: str) -> Answer:
    """TwiML into an Answer; anything else (an error page, a 403) is an answer that asks nothing."""
    try:
        doc = ET.fromstring(resp.content) if resp.ok else None
    except ET.ParseError:
        doc = None
    if doc is None or doc.tag != "Response":
        return Answer(resp.status_code, [f"HTTP {resp.status_code}: {resp.text[:80]}"])
    says = [el.text or "" for el in doc.iter("Say")]
    gather = doc.find("Gather")
    if gather is None or not gather.get("action"):
        return Answer(resp.status_code, says + [f"<{el.tag}>" for el in doc if el.tag != "Say"])
    # Twilio resolves a relative action against the URL it just requested; that URL is signed.
    action = urljoin(url, gather.attrib["action"])
    step = urlparse(action).path.rsplit("/twilio/voice/", 1)[-1]
    return Answer(resp.status_code, says, action, step)


def call(plan: Plan, base_url: str, token: str, candidates: list[Candidate], delegates: int, t0: float,
         session: requests.Session | None = None, think: float = 0.0) -> Outcome:
    """Report all three stages by keypad from the registered phone, one call per stage."""
    night = caucus_night(random.Random(plan.seed), candidates, delegates)  # what the texting chair sends
    out = Outcome(plan.precinct)
    http = session or requests.Session()
    stages = [(Stage.FIRST, night.first), (Stage.FINAL, night.final), (Stage.DELEGATES, night.delegates)]
    try:
        _sleep_until(t0 + plan.start)
        for i, (stage, counts) in enumerate(stages):
            for attempt in range(2):
                before = len(out.problems)
                _report(plan, Caller(base_url, token, plan.phone, http), candidates, stage, counts,
                        night.attendance, out, think)
                if len(out.problems) == before or "went wrong" not in out.problems[-1] or attempt:
                    break
                # The hotline said it had a problem (Redis or the database was down) and the chair
                # was told so: they call again a little later. Counted apart from real problems.
                out.redialed.append(out.problems.pop())
                time.sleep(REDIAL_SECONDS)
            if i < len(plan.gaps):
                time.sleep(plan.gaps[i])
    finally:
        if session is None:
            http.close()
    return out


def _report(plan: Plan, caller: Caller, candidates: list[Candidate], stage: Stage, counts: dict[str, int],
            attendance: int, out: Outcome, think: float = 0.0) -> None:
    """One call for one stage: answer each prompt until "Recorded", or note what went wrong."""
    by_voice = {wording.spoken_name(c.name, c.aliases): c.name for c in candidates}
    spoken = [(wording.spoken_name(c.name, c.aliases), counts.get(c.name, 0)) for c in candidates]
    readback = wording.readback(plan.precinct, stage.label, spoken,
                                attendance=attendance if stage is Stage.FIRST else None)
    asked: set[str] = set()  # steps (and candidates) already answered: asked again means refused
    yes_at = 0.0
    try:
        answer = caller.start()
        for _ in range(len(candidates) + 12):  # every step once, plus slack; never loops forever
            step = answer.step
            if step == "after" and yes_at:
                if "Recorded" not in answer.text:
                    break
                out.confirms.append({"stage": stage.value, "counts": counts, "yes_sent_at": yes_at,
                                     "phone": plan.phone})
                return  # the chair hangs up
            digits: str | None = None
            if step == "count":
                m = CANDIDATE.fullmatch(answer.says[-1]) if answer.says else None
                name = by_voice.get(m.group(1)) if m else None
                key = f"count:{name}"
                digits = None if name is None else str(counts.get(name, 0))
            else:
                key = step or ""
                digits = _keys(step, answer.text, plan, stage, attendance, readback)
            if digits is None or key in asked:
                break
            asked.add(key)
            if think:
                time.sleep(think)  # the prompt is being spoken; a real caller keys in after it
            answer = caller.press(digits)
            if step == "readback":
                yes_at = caller.last_sent_at  # the record keypress, as stamped in X-Drill-At
        out.problems.append(f"{plan.precinct} {stage.value} (voice): unexpected answer at "
                            f"{answer.step or 'end of call'}: {answer.text[:200]!r}")
    finally:
        out.webhook_ms += caller.timings
        out.last_sent = max(out.last_sent, caller.last_sent_at)


def _keys(step: str | None, said: str, plan: Plan, stage: Stage, attendance: int,
          readback: str) -> str | None:
    """The keys a chair presses for this prompt, or None when the prompt is not one a report expects."""
    if step == "menu":
        m = re.search(r"report results with your keypad, press (\d)", said)
        return m.group(1) if m else None
    if step == "precinct":
        return ivr.keypad_digits(plan.precinct)
    if step == "choose":
        return _option(said, wording.spoken_code(plan.precinct))
    if step == "pin":
        return plan.pin
    if step == "stage":
        return _option(said, stage.label.lower())
    if step == "attendance" and stage is Stage.FIRST:
        return str(attendance)
    if step == "readback":
        # The IVR must have heard exactly what was keyed; a check warning may follow the numbers.
        m = re.search(r"To record these numbers, press (\d)", said)
        return m.group(1) if m and readback in said else None
    return None


def _option(said: str, wanted: str) -> str | None:
    """The key of the spoken option `For <wanted>, press N.`."""
    return next((key for label, key in OPTION.findall(said) if label.strip().lower() == wanted.lower()), None)


def _sleep_until(t: float) -> None:
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)
