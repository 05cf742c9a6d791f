"""A call in progress: its state in Redis by CallSid, its stored webhooks, and its current prompt."""
from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.exc import IntegrityError

from hotline.domain.texts import storable
from hotline.domain import ivr
from hotline.domain.model import Candidate, Stage
from hotline.adapters.models import CallEvent
from hotline.runtime import Runtime

logger = logging.getLogger(__name__)

STATE_TTL = 3600  # a call longer than an hour starts over; the key must not outlive the night
STAGE_KEYS = {"1": Stage.FIRST, "2": Stage.FINAL, "3": Stage.DELEGATES}


@dataclass
class CallState:
    """Everything the next webhook of a call needs; JSON in Redis so any web process serves it."""

    sid: str
    caller: str
    registered: list[str] = field(default_factory=list)  # precincts the caller ID is registered for
    turn: int = 0  # answers given; every URL in an answer carries it, making each webhook unique
    step: str = "menu"  # the step whose keys are expected next
    misses: int = 0
    notice: str = ""  # said once, before the next prompt
    precinct: str | None = None
    precinct_name: str = ""
    choices: list[str] = field(default_factory=list)  # every precinct the keyed digits fit
    choice_page: int = 0
    verified: bool = False  # the right PIN for `precinct` was keyed in this call
    confirm_phone: str | None = None  # the registered phone that confirms this precinct's reports
    stage: str | None = None
    index: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    attendance: int | None = None  # keyed before the first alignment; None when not counted
    warning: str = ""
    submission_id: int | None = None
    queue: str | None = None
    callback_wanted: bool = False
    callback_number: str | None = None
    voicemail_item: int | None = None
    staff: bool = False
    last: list[Any] = field(default_factory=list)  # [step, seq] of the webhook last answered
    last_xml: str = ""

    @property
    def chair(self) -> bool:
        """A registered caller ID or a PIN keyed in this call: the caller goes in the chairs' queue."""
        return bool(self.registered) or self.verified

    @property
    def stage_attendance(self) -> int | None:
        """The attendance keyed in this call, which belongs with the first alignment only."""
        return self.attendance if self.stage == Stage.FIRST.value else None

    @property
    def own_phone(self) -> bool:
        """The caller is on the registered phone of the precinct being reported."""
        return self.precinct is not None and self.precinct in self.registered

    def go(self, step: str, notice: str = "") -> CallState:
        """Move to `step`, to be prompted with `notice` first."""
        self.step, self.misses = step, 0
        if notice:
            self.notice = notice
        return self


class BadKeys(Exception):
    """Keys that do not answer the step's question: the prompt repeats with `notice` first."""

    def __init__(self, notice: str = "invalid", **fields: str) -> None:
        super().__init__(notice)
        self.notice, self.fields = notice, fields


def _key(sid: str) -> str:
    return f"hotline:call:{sid}"


def load(rt: Runtime, sid: str) -> CallState | None:
    """The call's state, or None when it is unknown or expired."""
    raw = cast("bytes | None", rt.redis.get(_key(sid)))
    if raw is None:
        return None
    data = json.loads(raw)
    known = {f.name for f in dataclasses.fields(CallState)}
    return CallState(**{k: v for k, v in data.items() if k in known})


def save(rt: Runtime, call: CallState) -> None:
    """Write the state back with a fresh expiry."""
    rt.redis.set(_key(call.sid), json.dumps(dataclasses.asdict(call)), ex=STATE_TTL)


def record_event(rt: Runtime, sid: str, step: str, seq: int, form: Mapping[str, list[str]]) -> bool:
    """Store the webhook; False when this (call, step, seq) was stored before (a Twilio retry)."""
    form = storable(form)
    first = {k: (v[0] if v else "") for k, v in form.items()}
    try:
        with rt.db.transaction() as uow:
            uow.session.add(CallEvent(call_sid=sid, step=step, seq=seq,
                                      from_number=first.get("From", "")[:32],
                                      digits=(first.get("Digits") or None) and first["Digits"][:64],
                                      raw=dict(form)))
        return True
    except IntegrityError:
        logger.info("call %s step %s #%s seen before: answered without acting again", sid, step, seq)
        return False


def prompt(call: CallState, candidates: list[Candidate]) -> ivr.Reply:
    """The question for the call's current step, after any one-off notice."""
    says = [call.notice] if call.notice else []
    call.notice = ""
    step = call.step
    if step == "count":
        return _count_prompt(call, candidates, says)
    if step == "readback":
        counts = _spoken_counts(call, candidates)
        label = Stage(call.stage).label if call.stage else ""
        says += [ivr.readback(call.precinct or "", label, counts, call.warning,
                              call.stage_attendance),
                 ivr.PROMPTS["readback_end"]]
        return ivr.Reply(tuple(says), ask=ivr.Ask("readback", num_digits=1))
    text, ask = _simple(call)
    return ivr.Reply(tuple(says + [text]), ask=ask)


def _simple(call: CallState) -> tuple[str, ivr.Ask]:
    step = call.step
    one_key = ivr.Ask(step, num_digits=1)
    until_pound = ivr.Ask(step, timeout=8)
    if step == "precinct":
        example = call.registered[0] if len(call.registered) == 1 else None
        return ivr.precinct_prompt(example), until_pound
    if step == "choose":
        return ivr.choose_prompt(call.choices, call.choice_page), one_key
    if step == "pin":
        return ivr.PROMPTS["pin"].format(code=ivr.spoken_code(call.precinct or ""),
                                         name=call.precinct_name), until_pound
    if step == "code":
        return ivr.PROMPTS["code"].format(tail=ivr.spoken_digits((call.confirm_phone or "")[-4:])), until_pound
    if step == "callback":
        return ivr.PROMPTS["callback"].format(
            tail=ivr.spoken_digits((call.callback_number or "")[-4:])), one_key
    if step in ("callback_number", "staff", "attendance"):
        return ivr.PROMPTS[step], until_pound
    if step in ivr.PROMPTS:
        return ivr.PROMPTS[step], one_key
    return ivr.PROMPTS["menu"], ivr.Ask("menu", num_digits=1)


def _count_prompt(call: CallState, candidates: list[Candidate], says: list[str]) -> ivr.Reply:
    if call.index == 0 and call.stage:
        says.append(ivr.PROMPTS["count_intro"].format(stage=Stage(call.stage).label))
    cand = candidates[min(call.index, len(candidates) - 1)]
    says.append(ivr.PROMPTS["count"].format(candidate=ivr.spoken_name(cand.name, cand.aliases)))
    return ivr.Reply(tuple(says), ask=ivr.Ask("count", timeout=6))


def _spoken_counts(call: CallState, candidates: list[Candidate]) -> list[tuple[str, int]]:
    return [(ivr.spoken_name(c.name, c.aliases), int(call.counts.get(c.name, 0))) for c in candidates]
