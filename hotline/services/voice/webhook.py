"""Answering one of Twilio's webhooks about a call: store it, act on it once, keep the call's state.

Every URL in an answer carries the call's answer count (its turn), so each webhook is unique
by (CallSid, step, seq): a retry of the same request is answered again without acting again.
The web layer turns a `Reply` into TwiML; the answer it made is kept with the call's state, so
a retry hears exactly the same words.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from redis import Redis

from hotline.domain import ivr
from hotline.domain.languages import speaking
from hotline.domain.wording.voice import NOTICES, SAYINGS
from hotline.services.records import roster
from hotline.services.units import Units
from hotline.services.voice import call_state, desk, followup
from hotline.services.voice.call_state import CallState


@dataclass(frozen=True)
class Webhook:
    """One request from Twilio: the call, who is calling, the step and sequence number, and its form."""

    sid: str
    caller: str
    step: str
    seq: int
    form: Mapping[str, list[str]]  # every field as Twilio sent it, stored with the call event

    @property
    def fields(self) -> dict[str, str]:
        """The form with the first value of each field."""
        return {k: (v[0] if v else "") for k, v in self.form.items()}


# What a step does with the call (None: ask the call's current question).
Act = Callable[[Units, Redis, CallState], "ivr.Reply | None"]
# A new call's first state and greeting; no state when the caller is turned away.
Start = Callable[[Units, Redis, str, str], "tuple[CallState | None, ivr.Reply]"]
# The answer as the phone company wants it, with every URL in it carrying the given turn.
Render = Callable[[ivr.Reply, int], str]


def answer(units: Units, redis: Redis, hook: Webhook, act: Act, render: Render, *,
           replay: bool = True, keys_step: bool = False) -> str:
    """Store the webhook, act once on it, and return the rendered answer, keeping the call's state.

    `replay`: a retry gets the stored answer rather than a new one. `keys_step`: the webhook
    answers a question, so a call whose state was lost starts over at the menu.
    """
    key = (hook.step, hook.seq)
    fresh = call_state.record_event(units, hook.sid, hook.step, hook.seq, hook.form)
    call = call_state.load(redis, hook.sid)
    if call is None:
        call = call_state.bare(units, hook.sid, hook.caller)
        if keys_step:  # keys for a question we no longer remember: start over, saying so
            with speaking(call.language):
                lost = NOTICES["lost"]
            return _finish(units, redis, call.go("menu", lost), None, key, render)
    elif not fresh and replay:
        if call.last == list(key):
            return call.last_xml
        return _finish(units, redis, call, None, key, render)  # an old retry: say where the call is now
    with speaking(call.language):  # the language is chosen here, per call, for everything it hears
        reply = act(units, redis, call)
    return _finish(units, redis, call, reply, key, render)


def begin(units: Units, redis: Redis, hook: Webhook, start: Start, render: Render) -> str:
    """The first webhook of a call: no state yet, so `start` makes it (or turns the caller away)."""
    call_state.record_event(units, hook.sid, hook.step, 0, hook.form)
    existing = call_state.load(redis, hook.sid)
    if existing is not None and existing.last == [hook.step, 0]:
        return existing.last_xml  # Twilio retried the first request
    call, reply = start(units, redis, hook.sid, hook.caller)
    if call is None:
        return render(reply, 0)
    return _finish(units, redis, call, reply, (hook.step, 0), render)


def _finish(units: Units, redis: Redis, call: CallState, reply: ivr.Reply | None, key: tuple[str, int],
            render: Render) -> str:
    """Render the answer with the next turn number and keep it with the call's state."""
    if reply is None:
        with speaking(call.language):  # the step may have just changed it (the main menu's language key)
            reply = call_state.prompt(call, roster.candidates(units))
    reply = replace(reply, language=call.language)
    call.turn += 1
    xml = render(reply, call.turn)
    call.last, call.last_xml = list(key), xml
    call_state.save(redis, call)
    return xml


def connect(units: Units, redis: Redis, hook: Webhook) -> tuple[ivr.Reply, int]:
    """Staff took this waiting caller: note the wait once; what the caller hears, and the call's turn."""
    fresh = call_state.record_event(units, hook.sid, hook.step, hook.seq, hook.form)
    call = call_state.load(redis, hook.sid) or call_state.bare(units, hook.sid, hook.caller)
    with speaking(call.language):
        reply = desk.connect(redis, call, hook.fields) if fresh else ivr.Reply((SAYINGS["connecting"],))
    call_state.save(redis, call)
    return replace(reply, language=call.language), call.turn


def transcript(units: Units, redis: Redis, hook: Webhook) -> bool:
    """Twilio's transcription of a message: stored once, added to the call's voicemail item."""
    if not call_state.record_event(units, hook.sid, hook.step, hook.seq, hook.form):
        return False
    return followup.transcript(units, redis, hook.sid, hook.fields)
