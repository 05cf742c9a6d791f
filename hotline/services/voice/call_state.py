"""A call in progress: its state in Redis by CallSid, its stored webhooks, and its current prompt."""
from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from redis import Redis
from sqlalchemy.exc import IntegrityError

from hotline.adapters.models import CallEvent
from hotline.domain import ivr
from hotline.domain.model import Candidate, Stage
from hotline.domain.languages import LANGUAGES
from hotline.domain.texts import storable
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import PROMPTS
from hotline.services.records import roster
from hotline.services.units import Units

logger = logging.getLogger(__name__)

STATE_TTL = 3600  # a call longer than an hour starts over; the key must not outlive the night
STAGE_KEYS = {"1": Stage.FIRST, "2": Stage.FINAL, "3": Stage.DELEGATES}


@dataclass
class CallState:
    """Everything the next webhook of a call needs; JSON in Redis so any web process serves it."""

    sid: str
    caller: str
    registered: list[str] = field(default_factory=list)  # precincts the caller ID is registered for
    language: str = "en"  # what the caller hears: the chair's roster language, or the menu's choice
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
    # Observers (services/voice/observer.py): their counts are compared with the chair's, never count.
    observing: bool = False  # the call took the observers' option: the steps act for an observer
    observer_id: int | None = None  # the observer reporting: by caller ID, or by PIN for `precinct`
    observer_phone: bool = False  # observer_id came from the caller ID (no PIN needed)
    observed: list[str] = field(default_factory=list)  # the caller-ID observer's assigned precincts
    stage: str | None = None
    index: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    attendance: int | None = None  # keyed before the first alignment; None when not counted
    warning: str = ""
    submission_id: int | None = None
    coin_ties: list[list[str]] = field(default_factory=list)  # tied groups of each toss to ask who won
    coin_winners: list[str] = field(default_factory=list)  # the winners keyed so far, one per toss
    queue: str | None = None
    joined_at: float | None = None  # when the caller joined the desk's line (kept by a call-back)
    callback_wanted: bool = False
    callback_number: str | None = None
    voicemail_item: int | None = None
    staff: bool = False
    dialling_callback: int | None = None  # on the staff line: the call-back item being dialled
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

    @property
    def precinct_or_own(self) -> str | None:
        """The precinct being reported, else the caller ID's first registered one (for staff)."""
        return self.precinct or (self.registered[0] if self.registered else None)

    def go(self, step: str, notice: str = "") -> CallState:
        """Move to `step`, to be prompted with `notice` first."""
        self.step, self.misses = step, 0
        if notice:
            self.notice = notice
        return self


class BadKeys(Exception):
    """Keys that do not answer the step's question: the prompt repeats with the notice first.

    `notice` names one of wording.voice.NOTICES; `keys` are read back where the notice says them.
    """

    def __init__(self, notice: str = "invalid", keys: str = "") -> None:
        super().__init__(notice)
        self.notice, self.keys = notice, keys


def _key(sid: str) -> str:
    return f"hotline:call:{sid}"


def load(redis: Redis, sid: str) -> CallState | None:
    """The call's state, or None when it is unknown or expired."""
    raw = cast("bytes | None", redis.get(_key(sid)))
    if raw is None:
        return None
    data = json.loads(raw)
    known = {f.name for f in dataclasses.fields(CallState)}
    return CallState(**{k: v for k, v in data.items() if k in known})


def save(redis: Redis, call: CallState) -> None:
    """Write the state back with a fresh expiry."""
    redis.set(_key(call.sid), json.dumps(dataclasses.asdict(call)), ex=STATE_TTL)


def bare(units: Units, sid: str, caller: str) -> CallState:
    """State for a call we hold none for (expired, or lost with Redis): who is calling, nothing more."""
    with units.reading() as session:
        precincts = roster.precincts_for_phone(session, caller)
        registered = [p.code for p in precincts]
        language = roster.language_of(precincts)
    return CallState(sid=sid, caller=caller, registered=registered, language=language)


def record_event(units: Units, sid: str, step: str, seq: int, form: Mapping[str, list[str]]) -> bool:
    """Store the webhook; False when this (call, step, seq) was stored before (a Twilio retry)."""
    form = storable(form)
    first = {k: (v[0] if v else "") for k, v in form.items()}
    try:
        with units.begin() as uow:
            uow.session.add(CallEvent(call_sid=sid, step=step, seq=seq,
                                      from_number=first.get("From", "")[:32],
                                      digits=(first.get("Digits") or None) and first["Digits"][:64],
                                      raw=dict(form)))
        return True
    except IntegrityError:
        logger.info("call %s step %s #%s seen before: answered without acting again", sid, step, seq)
        return False


def form_int(form: Mapping[str, str], name: str) -> int:
    """A whole-number parameter Twilio sent (QueuePosition, QueueTime, ...), 0 if absent or odd."""
    try:
        return max(0, int(form.get(name) or 0))
    except ValueError:
        return 0


def prompt(call: CallState, candidates: list[Candidate]) -> ivr.Reply:
    """The question for the call's current step, after any one-off notice (in the call's language)."""
    reply = _prompt(call, candidates)
    if reply.ask is not None and reply.ask.step == "menu":  # the main menu offers the other language
        other = next(lang for lang in LANGUAGES if lang != call.language)
        reply = dataclasses.replace(reply, aside=(other, wording.language_offer(other)))
    return reply


def _prompt(call: CallState, candidates: list[Candidate]) -> ivr.Reply:
    says = [call.notice] if call.notice else []
    call.notice = ""
    step = call.step
    if step == "count":
        return _count_prompt(call, candidates, says)
    if step == "readback":
        counts = [(wording.spoken_name(c.name, c.aliases), int(call.counts.get(c.name, 0)))
                  for c in candidates]
        label = Stage(call.stage).label if call.stage else ""  # translated by wording
        says += [wording.readback(call.precinct or "", label, counts, call.warning, call.stage_attendance),
                 PROMPTS["readback_end"]]
        return ivr.Reply(tuple(says), ask=ivr.Ask("readback", num_digits=1))
    text, ask = _simple(call)
    return ivr.Reply(tuple(says + [text]), ask=ask)


def _simple(call: CallState) -> tuple[str, ivr.Ask]:
    step = call.step
    one_key = ivr.Ask(step, num_digits=1)
    until_pound = ivr.Ask(step, timeout=8)
    if step == "precinct":
        example = call.registered[0] if len(call.registered) == 1 else None
        if call.observing and call.observed:  # an observer by caller ID: one of their own precincts
            example = call.observed[0]
        return wording.precinct_prompt(example), until_pound
    if step == "choose":
        return wording.choose_prompt(call.choices, call.choice_page), one_key
    if step == "pin":
        ask_pin = wording.observer_pin_prompt if call.observing else wording.pin_prompt
        return ask_pin(call.precinct or "", call.precinct_name), until_pound
    if step == "code":
        return wording.code_prompt(call.confirm_phone or ""), until_pound
    if step == "coin" and len(call.coin_winners) < len(call.coin_ties):
        return wording.coin_prompt(call.coin_ties[len(call.coin_winners)]), one_key
    if step == "callback":
        return wording.callback_prompt(call.callback_number or ""), one_key
    if step == "menu" and call.observer_id is not None and not call.registered:
        return wording.menu_for_observer(), one_key
    if step in ("callback_number", "staff", "attendance"):
        return PROMPTS[step], until_pound
    if step in PROMPTS:
        return PROMPTS[step], one_key
    return PROMPTS["menu"], ivr.Ask("menu", num_digits=1)


def _count_prompt(call: CallState, candidates: list[Candidate], says: list[str]) -> ivr.Reply:
    if call.index == 0 and call.stage:
        says.append(wording.count_intro(Stage(call.stage).label))
    cand = candidates[min(call.index, len(candidates) - 1)]
    says.append(wording.count_prompt(wording.spoken_name(cand.name, cand.aliases)))
    return ivr.Reply(tuple(says), ask=ivr.Ask("count", timeout=6))
