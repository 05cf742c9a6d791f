"""Twilio SMS webhooks: inbound messages and delivery status callbacks."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError
from twilio.twiml.messaging_response import MessagingResponse

from hotline.domain.texts import no_nul
from hotline.services.ops import delivery
from hotline.services.sms import inbox
from hotline.services.sms.admission import admit
from hotline.web import runtime
from hotline.web.security import twilio_signed

logger = logging.getLogger(__name__)
bp = Blueprint("twilio_sms", __name__, url_prefix="/twilio")


# Every text is answered with the same empty TwiML (replies go out through the REST API); built
# once, it saves the XML serializer's 0.05 ms on every webhook, a tenth of a parked flood text's.
EMPTY_TWIML = str(MessagingResponse())


def twiml() -> Response:
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/sms")
@twilio_signed
def inbound_sms() -> Response:
    """Store the message, queue its processing, answer with empty TwiML (replies go out later)."""
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    if not sid or not request.form.get("From"):
        return Response("MessageSid and From are required", status=400, mimetype="text/plain")
    if len(sid) > 64:
        return Response("MessageSid is not a Twilio message SID", status=400, mimetype="text/plain")
    rt = runtime()
    raw = request.form.to_dict(flat=False)  # cleaned where the row is built
    phone = no_nul(request.form["From"])[:32]  # the job's key: as the row will store it
    admission = admit(rt, phone, request.form.get("Body", ""), lambda: inbox.parked_record("sms", sid, raw))
    if admission.first_throttled:
        rt.queues.throttled(phone)
    if admission.parked:  # over its allowance, or a flood: admit kept it in Redis for the sweeper
        return twiml()
    stored = inbox.store(rt, "sms", sid, raw)
    if stored.duplicate:
        logger.info("duplicate MessageSid %s acknowledged, not processed again", sid)
    elif stored.inbound_id is not None:
        rt.queues.inbound(stored.inbound_id, admission.chairs_lane, phone, fresh=True)
    return twiml()


@bp.post("/status")
@twilio_signed
def status_callback() -> Response:
    """Record a delivery status (sent, delivered, failed, ...) for one of our messages."""
    sid = request.form.get("MessageSid")
    status = request.form.get("MessageStatus")
    if not sid or not status:
        return Response("MessageSid and MessageStatus are required", status=400, mimetype="text/plain")
    if len(sid) > 64 or len(status) > 24:
        return Response("not a Twilio status callback", status=400, mimetype="text/plain")
    try:
        delivery.record_status(runtime(), sid, status, request.form.get("ErrorCode"))
    except IntegrityError:
        pass  # the same status twice: Twilio retried
    return Response(status=204)
