"""What the holder of an item can do: call the chair, send and check a code, text, explain."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, request, url_for
from werkzeug.wrappers import Response

from hotline.domain.verification import CodeCheck
from hotline.adapters.models import StaffUser
from hotline.services.console import contact
from hotline.services.records import reports
from hotline.adapters.twilio_calls import make_caller
from hotline.web import runtime
from hotline.web.auth import login_required, username
from hotline.web.console import act, back_to

bp = Blueprint("actions", __name__, url_prefix="/console/items/<int:item_id>")


def _precinct(item: Any) -> Any:
    if item.precinct is None:
        raise contact.ContactError("This item has no precinct yet; call or text the sender to find out which.")
    return item.precinct


def bridge_url(call_id: int) -> str:
    """The TwiML address Twilio fetches when the staff member answers (the one it signs)."""
    base = runtime().config.public_base_url
    path = url_for("bridge.bridge", call_id=call_id)
    return f"{base}{path}" if base else url_for("bridge.bridge", call_id=call_id, _external=True)


@bp.post("/call")
@login_required
def call(item_id: int) -> Response:
    """Ring the staff member's phone, then connect it to the chair's number."""
    rt, to, placed = runtime(), request.form.get("to", ""), {}

    def action(uow: Any, item: Any) -> str:
        user = uow.session.get(StaffUser, g.user.id)
        allowed = contact.phones_for(uow.session, item.precinct, item)
        row = contact.request_call(uow, user, to, allowed, item.precinct, item.id)
        placed.update(id=row.id, staff_phone=user.phone)
        return ""

    if act(item_id, action):
        try:
            status = contact.place_call(rt, make_caller(rt.config), placed["id"], placed["staff_phone"],
                                        bridge_url(placed["id"]))
        except contact.ContactError as exc:
            flash(f"The call could not be placed: {exc} Dial {to} yourself.", "error")
            return back_to(item_id)
        if status == "outbox":
            flash(f"No Twilio account is set up here, so the call request went to the outbox. "
                  f"Dial the chair yourself: {to}.")
        else:
            flash(f"Calling your phone ({placed['staff_phone']}) now. Answer it and you will be "
                  f"connected to {to}.")
    return back_to(item_id)


@bp.post("/code/send")
@login_required
def send_code(item_id: int) -> Response:
    """Text a one-time code to the chair's registered phone."""
    def action(uow: Any, item: Any) -> str:
        sub = contact.send_code(uow, runtime(), _precinct(item), username())
        return (f"Code sent to the registered phone ending {sub.confirm_phone[-4:]}. Ask the person "
                "on the line to read it to you, then type it below.")
    act(item_id, action)
    return back_to(item_id)


@bp.post("/code/check")
@login_required
def check_code(item_id: int) -> Response:
    """Check the code the person on the line read out."""
    given = request.form.get("code", "")

    def action(uow: Any, item: Any) -> Any:
        # A wrong code is returned, not raised: the counted attempt and its log entry must commit.
        result = contact.check_code(uow, runtime(), _precinct(item), username(), given)
        if result.verdict is CodeCheck.OK:
            return "Code is right: you are speaking with the chair's registered phone holder."
        if result.verdict is CodeCheck.WRONG and result.left:
            return f"That code is wrong. {result.left} tries left.", "error"
        return "That code can no longer be used (expired, used or too many tries). Send a new code.", "error"
    act(item_id, action)
    return back_to(item_id)


@bp.post("/sms")
@login_required
def sms(item_id: int) -> Response:
    """Text the chair (or the item's sender) from the hotline."""
    to, body = request.form.get("to", ""), request.form.get("body", "")

    def action(uow: Any, item: Any) -> str:
        allowed = contact.phones_for(uow.session, item.precinct, item)
        contact.send_sms(uow, runtime(), username(), to, body, allowed, item.precinct)
        return f"Text queued to {to}."
    act(item_id, action)
    return back_to(item_id)


@bp.post("/explain")
@login_required
def explain(item_id: int) -> Response:
    """Publish a flagged report with the reason it is right (e.g. a coin toss); the chair is told."""
    note = request.form.get("note", "")

    def action(uow: Any, item: Any) -> str:
        try:
            reports.explain(uow, runtime(), _precinct(item), username(), note)
        except reports.NotFlagged as exc:
            raise contact.ContactError(str(exc)) from exc
        return "Explained: the report now counts and the chair was told. The item is closed."
    act(item_id, action)
    return back_to(item_id)
