"""The phone simulator (local only): text the hotline as a chair through the real, signed webhook."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from hotline.services.console import history
from hotline.web import runtime
from hotline.web.auth import login_required, username

bp = Blueprint("phone", __name__, url_prefix="/dev/phone")


@bp.before_request
def _local_only() -> None:
    # Signing webhooks for anyone who asks is a local convenience, never a production feature.
    if runtime().config.production:
        abort(404)


@bp.get("/")
@login_required
def page() -> str:
    """Pick a chair, type texts as that chair, watch the replies arrive."""
    phone = request.args.get("phone", "")
    sim = history.simulator(runtime().units, phone)
    return render_template("console/phone.html", chairs=sim.chairs, phone=phone, events=sim.events)


@bp.get("/thread.json")
@login_required
def thread() -> Response:
    """The conversation with one phone, polled by the simulator page."""
    events = history.thread(runtime().units, request.args.get("phone", ""))
    html = render_template("console/_thread.html", events=events)
    return jsonify(count=len(events), html=html)


@bp.post("/send")
@login_required
def send() -> Response:
    """POST a correctly signed SMS webhook to this app's own /twilio/sms, as Twilio would."""
    phone, body = request.form.get("phone", ""), request.form.get("body", "")
    if phone not in {c.phone for c in history.chairs(runtime().units)}:
        flash("Pick a chair first.", "error")
        return redirect(url_for("phone.page"))
    status = post_as_chair(phone, body)
    if status != 200:
        flash(f"The webhook answered {status}; check the server log.", "error")
    return redirect(url_for("phone.page", phone=phone))


def post_as_chair(phone: str, body: str) -> int:
    """Sign the form with the app's own Twilio token and post it through the whole WSGI stack."""
    cfg = runtime().config
    # Shaped as Twilio's (the webhook refuses anything else): SM + 32 hex, our account or a local one.
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": cfg.twilio_account_sid or "AC" + "0" * 32,
            "From": phone,
            "To": cfg.twilio_from_numbers[0] if cfg.twilio_from_numbers else "+15155550100",
            "Body": body, "NumMedia": "0", "SimulatedBy": username()}
    host = request.host_url
    signed = f"{cfg.public_base_url or host.rstrip('/')}/twilio/sms"
    signature = RequestValidator(cfg.twilio_auth_token).compute_signature(signed, form)
    resp = current_app.test_client().post("/twilio/sms", data=form, base_url=host,
                                          headers={"X-Twilio-Signature": signature})
    return resp.status_code
