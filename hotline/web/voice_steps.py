"""The machinery behind every voice route: read Twilio's request, hand it to a use case, render TwiML.

Storing the webhook, acting once and keeping the call's state are the use case's
(`services.voice.webhook`); this module only knows HTTP and TwiML.
"""
from __future__ import annotations

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from hotline.domain import ivr
from hotline.domain.wording.voice import VOICES
from hotline.services.voice import steps as voice, webhook
from hotline.services.voice.webhook import Act, Start, Webhook
from hotline.web import runtime


def twiml(response: VoiceResponse) -> Response:
    """TwiML with the content type Twilio requires."""
    return Response(str(response), mimetype="text/xml")


def _xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


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
        _say(target, text, reply.language)
    if reply.aside:
        _say(target, reply.aside[1], reply.aside[0])
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
    if reply.dial_number:
        # The chair sees the hotline's number calling, never the staff member's own phone.
        dial = r.dial(action=_url("staff_done", turn), method="POST", timeout=30,
                      caller_id=request.form.get("To") or None)
        dial.number(reply.dial_number)
    if reply.leave:
        r.leave()
    if reply.redirect:
        r.redirect(_url(reply.redirect, turn), method="POST")
    if reply.hangup:
        r.hangup()
    return r


def _say(target: VoiceResponse, text: str, language: str) -> None:
    """<Say> in the language's own voice (English keeps Twilio's default voice)."""
    if language == "en":
        target.say(text)
    else:
        lang, voice = VOICES[language]
        target.say(text, language=lang, voice=voice)


def _render_xml(reply: ivr.Reply, turn: int) -> str:
    return str(render(reply, turn))


def turn_param() -> int:
    """The `t` of the answer whose URL Twilio is requesting."""
    try:
        return int(request.args.get("t", "0"))
    except ValueError:
        return 0


def hook(step: str, seq: int | None = None) -> Webhook:
    """This request as a webhook of `step`; its sequence number is the URL's turn unless given.

    The route's decorator (`security.twilio_webhook`) has checked CallSid's shape."""
    return Webhook(sid=request.form.get("CallSid", ""), caller=request.form.get("From", ""), step=step,
                   seq=turn_param() if seq is None else seq, form=request.form.to_dict(flat=False))


def answer(step: str, act: Act, *, seq: int | None = None, replay: bool = True,
           keys_step: bool = False) -> Response:
    """Answer a webhook of a call in progress: `act` runs once, however often Twilio retries."""
    rt = runtime()
    return _xml(webhook.answer(rt.units, rt.redis, hook(step, seq), act, _render_xml,
                               replay=replay, keys_step=keys_step))


def keys(step: str) -> Response:
    """A step that asked for keys: hand the Digits to the service's step handler."""
    digits = request.form.get("Digits", "")
    return answer(step, lambda units, redis, call: voice.handle(units, redis, call, step, digits),
                  keys_step=True)


def begin(step: str, start: Start) -> Response:
    """The first webhook of a call: `start` makes its state (or turns the caller away)."""
    rt = runtime()
    return _xml(webhook.begin(rt.units, rt.redis, hook(step, 0), start, _render_xml))
