"""The phone simulator (local only): text or call the hotline as a chair through the real, signed webhooks.

Texts post to /twilio/sms; a keypad call posts to /twilio/voice/* and plays the TwiML answers
(`phone_call`), the call's state kept in Redis under the signed-in user's name for an hour.
"""
from __future__ import annotations

import json
import uuid
from typing import cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from hotline.domain import verification
from hotline.services.console import history
from hotline.web import phone_call, runtime
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
    # Shaped as Twilio's (the webhook refuses anything else): SM + 32 hex, our account or a local one.
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": _account(), "From": phone,
            "To": _hotline_number(), "Body": body, "NumMedia": "0", "SimulatedBy": username()}
    return signed_post("/twilio/sms", form)[0]


def _account() -> str:
    return runtime().config.twilio_account_sid or "AC" + "0" * 32


def _hotline_number() -> str:
    cfg = runtime().config
    return cfg.twilio_from_numbers[0] if cfg.twilio_from_numbers else "+15155550100"


def signed_post(path: str, form: dict[str, str]) -> tuple[int, str]:
    """POST `form` to this app's own `path` (with its query), signed as Twilio signs it."""
    cfg = runtime().config
    host = request.host_url
    signed = f"{cfg.public_base_url or host.rstrip('/')}{path}"
    signature = RequestValidator(cfg.twilio_auth_token).compute_signature(signed, form)
    # The inner request shares this request's app context, and so `g`: keep who is signed in.
    user = g.get("user")
    try:
        resp = current_app.test_client().post(path, data=form, base_url=host,
                                              headers={"X-Twilio-Signature": signature})
    finally:
        g.user = user
    return resp.status_code, resp.get_data(as_text=True)


# The keypad call: dial, hear the prompts as text, press keys, hang up.
CALL_KEY = "hotline:phone-sim:call:{}"
CALL_TTL = 3600
LINES = {"main": "/twilio/voice", "staff": "/twilio/voice/staff-line"}


def _load_call() -> phone_call.SimCall | None:
    raw = cast("bytes | None", runtime().redis.get(CALL_KEY.format(username())))
    return phone_call.SimCall.load(json.loads(raw)) if raw else None


def _save_call(call: phone_call.SimCall) -> None:
    runtime().redis.set(CALL_KEY.format(username()), json.dumps(call.dump()), ex=CALL_TTL)


@bp.get("/call")
@login_required
def call_page() -> str:
    """The keypad call: what the hotline said, and the keys, hold and hang-up buttons that fit now."""
    return render_template("console/phone_call.html", call=_load_call(), chairs=history.chairs(runtime().units),
                           staff_line=bool(runtime().config.staff_line_pin))


@bp.post("/call/dial")
@login_required
def call_dial() -> Response:
    """Dial the hotline (or the staff line) from a chair's phone or any other number."""
    number = verification.normalize_phone(request.form.get("other", "").strip() or request.form.get("phone", ""))
    line = request.form.get("line", "main")
    if number is None or line not in LINES:
        flash("Pick a chair or type a 10-digit phone number to call from.", "error")
        return redirect(url_for("phone.call_page"))
    call = phone_call.new_call(number, _hotline_number())
    call.heard.append(f"(calling the {'staff line' if line == 'staff' else 'hotline'} from {number})")
    phone_call.request(call, signed_post, _account(), LINES[line])
    _save_call(call)
    return redirect(url_for("phone.call_page"))


@bp.post("/call/<action>")
@login_required
def call_act(action: str) -> Response:
    """One thing the caller does: press keys (or stay silent), hold on, record, end a conversation, hang up."""
    call = _load_call()
    if call is None or call.waiting == "ended":
        flash("No call in progress: dial first.", "error")
        return redirect(url_for("phone.call_page"))
    account, form = _account(), request.form
    if action == "keys" and call.waiting in ("keys", "queue") and call.gather:
        phone_call.press(call, signed_post, account, form.get("digits", ""))
    elif action == "silence" and call.gather:
        phone_call.press(call, signed_post, account, "")
    elif action == "hold" and call.queue:
        phone_call.hold(call, signed_post, account)
    elif action == "record" and call.waiting == "record":
        phone_call.recorded(call, signed_post, account, form.get("message") == "yes")
    elif action == "dial-over" and call.waiting == "dial":
        phone_call.dial_over(call, signed_post, account, form.get("answered") != "no")
    elif action == "hangup":
        phone_call.hang_up(call, signed_post, account)
    else:
        flash("That does not fit what the call is doing now.", "error")
    _save_call(call)
    return redirect(url_for("phone.call_page"))
