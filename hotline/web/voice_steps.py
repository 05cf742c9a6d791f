"""The machinery behind every voice route: store the webhook, act once, render TwiML, keep state.

Every URL in an answer carries `t`, the call's answer count, so each webhook is unique by
(CallSid, step, t): a retry of the same request is answered again without acting again.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from hotline.domain import ivr
from hotline.runtime import Runtime
from hotline.services.records import roster
from hotline.services.voice import steps as voice, call_state as voice_state
from hotline.services.voice.call_state import CallState
from hotline.web import runtime

Act = Callable[[Runtime, CallState], "ivr.Reply | None"]


def twiml(response: VoiceResponse) -> Response:
    """TwiML with the content type Twilio requires."""
    return Response(str(response), mimetype="text/xml")


def _url(step: str, turn: int) -> str:
    return url_for(f"twilio_voice.{step}", t=turn)


def render(reply: ivr.Reply, turn: int) -> VoiceResponse:
    """Turn a service reply into TwiML; every URL in it carries this answer's turn."""
    r = VoiceResponse()
    target = r
    if reply.ask:
        target = r.gather(action=_url(reply.ask.step, turn), method="POST", input="dtmf",
                          num_digits=reply.ask.num_digits, timeout=reply.ask.timeout,
                          finish_on_key="#", action_on_empty_result=reply.ask.post_empty or None)
    for text in reply.says:
        target.say(text)
    if reply.music:
        target.play(runtime().config.hold_music_url)
    if reply.record:
        r.record(action=_url("message_done", turn), method="POST", max_length=120, finish_on_key="#",
                 play_beep=True, transcribe=True, transcribe_callback=_url("message_transcript", turn))
    if reply.enqueue:
        r.enqueue(reply.enqueue, action=_url("desk_left", turn), method="POST",
                  wait_url=_url("desk_wait", turn), wait_url_method="POST")
    if reply.dial_queue:
        dial = r.dial(action=_url("staff_done", turn), method="POST", timeout=30)
        dial.queue(reply.dial_queue, url=_url("desk_connect", turn), method="POST")
    if reply.leave:
        r.leave()
    if reply.redirect:
        r.redirect(_url(reply.redirect, turn), method="POST")
    if reply.hangup:
        r.hangup()
    return r


def turn_param() -> int:
    """The `t` of the answer whose URL Twilio is requesting."""
    try:
        return int(request.args.get("t", "0"))
    except ValueError:
        return 0


def bare(rt: Runtime, sid: str) -> CallState:
    """State for a call we hold none for (expired, or lost with Redis): who is calling, nothing more."""
    caller = request.form.get("From", "")
    with rt.db.transaction() as uow:
        registered = [p.code for p in roster.precincts_for_phone(uow.session, caller)]
    return CallState(sid=sid, caller=caller, registered=registered)


def finish(rt: Runtime, call: CallState, reply: ivr.Reply | None, key: tuple[str, int]) -> Response:
    """Render the answer with the next turn number and keep it with the call's state."""
    if reply is None:
        reply = voice_state.prompt(call, roster.candidates(rt))
    call.turn += 1
    xml = str(render(reply, call.turn))
    call.last, call.last_xml = list(key), xml
    voice_state.save(rt, call)
    return Response(xml, mimetype="text/xml")


def answer(step: str, act: Act, *, seq: int | None = None, replay: bool = True,
            keys_step: bool = False) -> Response:
    """Store the webhook, act once on it, answer with TwiML and keep the call's state."""
    sid = request.form.get("CallSid", "")
    if not sid:
        return Response("CallSid is required", status=400, mimetype="text/plain")
    rt = runtime()
    key = (step, turn_param() if seq is None else seq)
    fresh = voice_state.record_event(rt, sid, step, key[1], request.form.to_dict(flat=False))
    call = voice_state.load(rt, sid)
    if call is None:
        call = bare(rt, sid)
        if keys_step:  # keys for a question we no longer remember: start over, saying so
            return finish(rt, call.go("menu", ivr.NOTICES["lost"]), None, key)
    elif not fresh and replay:
        if call.last == list(key):
            return Response(call.last_xml, mimetype="text/xml")
        return finish(rt, call, None, key)  # an old retry: say where the call is now
    return finish(rt, call, act(rt, call), key)


def keys(step: str) -> Response:
    """A step that asked for keys: hand the Digits to the service's step handler."""
    digits = request.form.get("Digits", "")
    return answer(step, lambda rt, call: voice.handle(rt, call, step, digits), keys_step=True)


Starter = Callable[[Runtime, str, str], "tuple[CallState | None, ivr.Reply]"]


def begin(step: str, start: Starter) -> Response:
    """The first webhook of a call: no state yet, so `start` makes it (or turns the caller away)."""
    sid, caller = request.form.get("CallSid", ""), request.form.get("From", "")
    if not sid:
        return Response("CallSid is required", status=400, mimetype="text/plain")
    rt = runtime()
    voice_state.record_event(rt, sid, step, 0, request.form.to_dict(flat=False))
    existing = voice_state.load(rt, sid)
    if existing is not None and existing.last == [step, 0]:
        return Response(existing.last_xml, mimetype="text/xml")  # Twilio retried the first request
    call, reply = start(rt, sid, caller)
    if call is None:
        return twiml(render(reply, 0))
    return finish(rt, call, reply, (step, 0))
