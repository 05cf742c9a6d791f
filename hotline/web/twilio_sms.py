"""Twilio SMS webhooks: inbound messages and delivery status callbacks."""
from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from hotline.domain import twilio_request
from hotline.domain.texts import no_nul
from hotline.services.ops import delivery
from hotline.services.sms import receive
from hotline.web import runtime
from hotline.web.security import twilio_webhook

bp = Blueprint("twilio_sms", __name__, url_prefix="/twilio")


# Every text is answered with the same empty TwiML (replies go out through the REST API); built
# once, it saves the XML serializer's 0.05 ms on every webhook, a tenth of a parked flood text's.
EMPTY_TWIML = str(MessagingResponse())


def twiml() -> Response:
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.app_template_test("twilio_media")
def twilio_media(url: object) -> bool:
    """`{% if url is twilio_media %}`: only media on Twilio's host (or the configured stand-in)
    become links or images, whatever an older row holds."""
    return twilio_request.media_url_ok(url, runtime().config.twilio_api_base_url)


@bp.post("/sms")
@twilio_webhook(twilio_request.SMS)
def inbound_sms() -> Response:
    """Store the message, queue its processing, answer with empty TwiML (replies go out later).

    The decorator has checked the size, the signature, and that MessageSid, AccountSid, From and
    To are there with Twilio's shapes.
    """
    sid = request.form["MessageSid"]
    rt = runtime()
    raw = request.form.to_dict(flat=False)  # cleaned where the row is built
    phone = no_nul(request.form["From"])[:32]  # the job's key: as the row will store it
    receive.receive(rt.units, rt.redis, sid, phone, raw)
    return twiml()


@bp.post("/status")
@twilio_webhook(twilio_request.STATUS)
def status_callback() -> Response:
    """Record a delivery status (sent, delivered, failed, ...) for one of our messages."""
    error = (request.form.get("ErrorCode") or "")[:16] or None
    delivery.record_status(runtime().units, request.form["MessageSid"], request.form["MessageStatus"], error)
    return Response(status=204)
