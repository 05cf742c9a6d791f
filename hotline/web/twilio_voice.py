"""Twilio voice webhooks: one POST route per IVR step, each stored as a call event before it is answered.

The call flow reads from top to bottom: a call arrives, the main menu, keypad reporting, the
results desk (queue, call-back, staff), messages. The shared machinery is in `voice_steps`.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from hotline.domain import twilio_request
from hotline.domain.wording.voice import SAYINGS
from hotline.services.voice import desk, followup, steps as voice, webhook
from hotline.services.voice import staff as staff_calls
from hotline.services.voice.call_state import form_int
from hotline.web import runtime
from hotline.web import voice_steps as steps
from hotline.web.security import twilio_webhook

logger = logging.getLogger(__name__)
bp = Blueprint("twilio_voice", __name__, url_prefix="/twilio/voice")
# Every route: signed, and CallSid, AccountSid, From and To there with Twilio's shapes.
voice_webhook = twilio_webhook(twilio_request.VOICE)


@bp.post("")
@voice_webhook
def incoming() -> Response:
    """A new call: the number's voice URL points here."""
    return steps.begin("incoming", voice.start)


@bp.post("/staff-line")
@voice_webhook
def staff_line() -> Response:
    """A new call on a number reserved for staff: straight to the staff PIN."""
    return steps.begin("staff_line", lambda units, _redis, sid, caller: voice.start_staff(units, sid, caller))


@bp.post("/resume")
@voice_webhook
def resume() -> Response:
    """Repeat the current step's prompt (after a recording that came back empty)."""
    return steps.answer("resume", lambda _units, _redis, _call: None)


@bp.post("/menu")
@voice_webhook
def menu() -> Response:
    """Main menu: 1 report by keypad, 2 results desk, 3 leave a message."""
    return steps.keys("menu")


@bp.post("/precinct")
@voice_webhook
def precinct() -> Response:
    """The precinct code spelled on the keypad."""
    return steps.keys("precinct")


@bp.post("/choose")
@voice_webhook
def choose() -> Response:
    """Pick one precinct when several codes share the same keys."""
    return steps.keys("choose")


@bp.post("/pin")
@voice_webhook
def pin() -> Response:
    """The chair's PIN, counted against the same lock-outs as SMS."""
    return steps.keys("pin")


@bp.post("/stage")
@voice_webhook
def stage() -> Response:
    """First alignment, final alignment or county delegates."""
    return steps.keys("stage")


@bp.post("/attendance")
@voice_webhook
def attendance() -> Response:
    """The attendance the chair counted, asked before the first alignment."""
    return steps.keys("attendance")


@bp.post("/count")
@voice_webhook
def count() -> Response:
    """One candidate's number, in ballot order."""
    return steps.keys("count")


@bp.post("/readback")
@voice_webhook
def readback() -> Response:
    """After the read-back: 1 records (or sends the code), 2 starts the numbers again."""
    return steps.keys("readback")


@bp.post("/code")
@voice_webhook
def code() -> Response:
    """The code texted to the registered phone, keyed by a caller on another phone."""
    return steps.keys("code")


@bp.post("/after")
@voice_webhook
def after() -> Response:
    """Recorded: 1 reports another stage for the same precinct."""
    return steps.keys("after")


@bp.post("/coin")
@voice_webhook
def coin() -> Response:
    """After a delegates report whose math leaves a coin toss: one key per tied group, who won."""
    return steps.keys("coin")


@bp.post("/callback")
@voice_webhook
def callback() -> Response:
    """Confirm the number for a call-back."""
    return steps.keys("callback")


@bp.post("/callback-number")
@voice_webhook
def callback_number() -> Response:
    """Another number for the call-back."""
    return steps.keys("callback_number")


@bp.post("/desk")
@voice_webhook
def desk_join() -> Response:
    """Join the results-desk queue (a Redirect target after trouble or silence)."""
    return steps.answer("desk_join", lambda _units, redis, call: desk.join(redis, call))


@bp.post("/desk/wait")
@voice_webhook
def desk_wait() -> Response:
    """Enqueue's waitUrl: position, estimate, call-back offer, music; re-requested while waiting."""
    # Twilio asks again and again with the same URL: the time waited tells the requests apart.
    seq = steps.turn_param() * 100_000 + min(form_int(request.form, "QueueTime"), 99_999)
    return steps.answer("desk_wait", lambda units, redis, call: desk.wait(units, redis, call, request.form),
                        seq=seq, replay=False)


@bp.post("/desk/hold")
@voice_webhook
def desk_hold() -> Response:
    """A key pressed while waiting: 1 leaves the queue for a call-back."""
    digits = request.form.get("Digits", "")
    return steps.answer("desk_hold", lambda _units, _redis, call: desk.hold_key(call, digits))


@bp.post("/desk/left")
@voice_webhook
def desk_left() -> Response:
    """Enqueue's action: the caller left the queue (call-back, bridged, hung up, queue full)."""
    return steps.answer("desk_left", lambda _units, redis, call: desk.left(redis, call, request.form))


@bp.post("/desk/connect")
@voice_webhook
def desk_connect() -> Response:
    """Queue url, played to the waiting caller a staff member just took (Say only)."""
    rt = runtime()
    reply, turn = webhook.connect(rt.units, rt.redis, steps.hook("desk_connect"))
    return steps.twiml(steps.render(reply, turn))


@bp.post("/message/done")
@voice_webhook
def message_done() -> Response:
    """Record's action: the message becomes a backlog item."""
    return steps.answer("message_done",
                        lambda units, _redis, call: followup.message_saved(units, call, request.form))


@bp.post("/message/transcript")
@voice_webhook
def message_transcript() -> Response:
    """Twilio's transcription of a message, added to its backlog item."""
    rt = runtime()
    webhook.transcript(rt.units, rt.redis, steps.hook("message_transcript"))
    return Response(status=204)


@bp.post("/staff")
@voice_webhook
def staff() -> Response:
    """The staff PIN (main menu 9, or the staff line)."""
    return steps.keys("staff")


@bp.post("/staff/next")
@voice_webhook
def staff_next() -> Response:
    """Staff press 1 for the next caller."""
    return steps.keys("staff_next")


@bp.post("/staff/done")
@voice_webhook
def staff_done() -> Response:
    """Dial's action: the staff member's conversation ended."""
    return steps.answer("staff_done",
                        lambda units, _redis, call: staff_calls.staff_done(units, call, request.form))


@bp.errorhandler(Exception)
def _trouble(exc: Exception) -> Response | HTTPException:
    """Never a 500 to a caller: apologise and hand them to the results desk."""
    if isinstance(exc, HTTPException):
        return exc
    logger.exception("voice step %s failed", request.path)
    r = VoiceResponse()
    if request.endpoint == "twilio_voice.message_transcript":
        return Response(status=204)
    if request.endpoint == "twilio_voice.desk_connect":
        r.say(SAYINGS["connecting"])  # Queue url documents may only speak
    elif request.endpoint == "twilio_voice.desk_wait":
        r.say(SAYINGS["still_waiting"])  # still queued: keep the music going
        r.play(runtime().config.hold_music_url)
    elif request.endpoint in ("twilio_voice.desk_join", "twilio_voice.desk_left"):
        _plain_queue(r)
    else:
        r.say(SAYINGS["trouble"])
        # A distinct sequence number per redirect, so it is never taken for a retry.
        r.redirect(url_for("twilio_voice.desk_join", t=-(int(time.time() * 1000) % 2_000_000_000)),
                   method="POST")
    return steps.twiml(r)


def _plain_queue(r: VoiceResponse) -> None:
    """The desk itself failed (Redis or the database is down): queue with Twilio's own music."""
    try:
        queue = desk.fallback_queue(runtime().units, request.form.get("From", ""))
        r.say(SAYINGS["desk_join"])
        r.enqueue(queue)
    except Exception:  # the database is down too: at least say what to do
        logger.exception("no queue for %s", request.form.get("CallSid"))
        r.say(SAYINGS["trouble_bye"])
        r.hangup()
