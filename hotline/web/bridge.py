"""The TwiML Twilio fetches when a staff member answers a click-to-call: dial the chair."""
from __future__ import annotations

from flask import Blueprint, Response
from twilio.twiml.voice_response import VoiceResponse

from hotline.services.console import contact
from hotline.web import runtime
from hotline.web.security import twilio_signed

bp = Blueprint("bridge", __name__, url_prefix="/twilio")


@bp.post("/bridge/<int:call_id>")
@twilio_signed
def bridge(call_id: int) -> Response:
    """Connect the answered staff phone to the number the call request names (signed requests only)."""
    rt = runtime()
    twiml = VoiceResponse()
    to = contact.bridge(rt.units, call_id)
    if to is None:
        twiml.say("This call request is not valid.")
        twiml.hangup()
        return Response(str(twiml), mimetype="text/xml")
    caller_id = rt.config.twilio_from_numbers[0] if rt.config.twilio_from_numbers else None
    twiml.say("Connecting you to the precinct chair.")
    twiml.dial(to, caller_id=caller_id, timeout=30)
    return Response(str(twiml), mimetype="text/xml")
