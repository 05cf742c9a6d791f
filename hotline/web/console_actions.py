"""What the holder of an item can do: call the chair, send and check a code, text, explain."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from werkzeug.wrappers import Response

from hotline.domain.verification import CodeCheck, phone_tail
from hotline.services.console import claims, contact, review
from hotline.web import runtime
from hotline.web.auth import login_required, username
from hotline.web.console import REFUSED, act, back_to

bp = Blueprint("actions", __name__, url_prefix="/console/items/<int:item_id>")


def bridge_url(call_id: int) -> str:
    """The TwiML address Twilio fetches when the staff member answers (the one it signs)."""
    base = runtime().config.public_base_url
    path = url_for("bridge.bridge", call_id=call_id)
    return f"{base}{path}" if base else url_for("bridge.bridge", call_id=call_id, _external=True)


@bp.post("/call")
@login_required
def call(item_id: int) -> Response:
    """Ring the staff member's phone, then connect it to the chair's number."""
    rt, to = runtime(), request.form.get("to", "")
    try:
        placed = contact.call(rt.units, rt.caller, item_id, username(), to, bridge_url)
    except contact.CallFailed as exc:
        flash(f"The call could not be placed: {exc} Dial {to} yourself.", "error")
    except REFUSED as exc:
        flash(str(exc), "error")
    else:
        if placed.status == "outbox":
            flash(f"No Twilio account is set up here, so the call request went to the outbox. "
                  f"Dial the chair yourself: {to}.")
        else:
            flash(f"Calling your phone ({placed.staff_phone}) now. Answer it and you will be "
                  f"connected to {to}.")
    return back_to(item_id)


@bp.post("/code/send")
@login_required
def send_code(item_id: int) -> Response:
    """Text a one-time code to the chair's registered phone."""
    def action() -> str:
        phone = contact.send_code(runtime().units, item_id, username())
        return (f"Code sent to the registered phone ending {phone_tail(phone)}. Ask the person "
                "on the line to read it to you, then type it below.")
    act(action)
    return back_to(item_id)


@bp.post("/code/check")
@login_required
def check_code(item_id: int) -> Response:
    """Check the code the person on the line read out."""
    given = request.form.get("code", "")

    def action() -> str | tuple[str, str]:
        result = contact.check_code(runtime().units, item_id, username(), given)
        if result.verdict is CodeCheck.OK:
            return "Code is right: you are speaking with the chair's registered phone holder."
        if result.verdict is CodeCheck.WRONG and result.left:
            return f"That code is wrong. {result.left} tries left.", "error"
        return "That code can no longer be used (expired, used or too many tries). Send a new code.", "error"
    act(action)
    return back_to(item_id)


@bp.post("/sms")
@login_required
def sms(item_id: int) -> Response:
    """Text the chair (or the item's sender) from the hotline."""
    to, body = request.form.get("to", ""), request.form.get("body", "")

    def action() -> str:
        contact.text(runtime().units, item_id, username(), to, body)
        return f"Text queued to {to}."
    act(action)
    return back_to(item_id)


@bp.post("/explain")
@login_required
def explain(item_id: int) -> Response:
    """Publish a flagged report with the reason it is right (e.g. a coin toss); the chair is told."""
    note = request.form.get("note", "")
    act(lambda: review.explain_item(runtime().units, item_id, username(), note),
        "Explained: the report now counts and the chair was told. The item is closed.")
    return back_to(item_id)


@bp.post("/pins/clear")
@login_required
def clear_pins(item_id: int) -> Response:
    """End the precinct's PIN slow-down (or the statewide PIN pause) and close the item."""
    act(lambda: claims.clear_pins(runtime().units, item_id, username()))
    return back_to(item_id)


@bp.post("/note")
@login_required
def note(item_id: int) -> Response:
    """Add a note to a closed item (one that closed itself while someone was writing, say)."""
    text = request.form.get("note", "")
    act(lambda: claims.add_note(runtime().units, item_id, username(), text))
    return back_to(item_id)
