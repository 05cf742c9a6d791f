"""The staff console: the live queue, claiming, an item's page, release and resolve."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hotline.adapters.models import BacklogItem, Precinct, StaffUser, utcnow
from hotline.services.console import claims, contact, history, accounts as staff, entry as staff_entry
from hotline.web import runtime
from hotline.web.auth import login_required, safe_next, username

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.app_template_filter("when")
def when(value: datetime | None, with_date: bool = False) -> str:
    """A UTC time for people: `21:04:09 UTC` (with the date when asked)."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M:%S UTC")


@bp.app_template_filter("ago")
def ago(value: datetime | None) -> str:
    """How long ago, in minutes: `just now`, `4 min ago`, `2 h 5 min ago`."""
    if value is None:
        return ""
    minutes = int((utcnow() - value).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    return f"{minutes} min ago" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min ago"


def _filters() -> claims.Filters:
    return claims.Filters(kind=request.args.get("kind") or None, county=request.args.get("county") or None)


def _queue_data(s: Session, f: claims.Filters) -> dict[str, Any]:
    items = claims.queue(s, f)
    return {"items": items, "counts": claims.counts_by_kind(s, f), "me": username(),
            "holders": {i.id: claims.holder(i) for i in items}, "label": claims.label,
            "approvals": len(staff_entry.pending(s))}


@bp.get("/")
@login_required
def queue() -> str:
    """The backlog, most urgent and oldest first, with counts by kind and filters."""
    f = _filters()
    rt = runtime()
    with rt.db.transaction() as uow:
        data = _queue_data(uow.session, f)
        rows, version = _rows(data)
        return render_template("console/queue.html", f=f, counties=claims.counties(uow.session),
                               rows_html=rows, version=version,
                               claim_minutes=rt.config.claim_ttl_seconds // 60, **data)


def _rows(data: dict[str, Any]) -> tuple[str, str]:
    """The queue's table rows and a short fingerprint, so the page swaps rows only on a change."""
    rows = render_template("console/_queue_rows.html", **data)
    # Ages ("4 min ago") change every minute; that is a change worth showing.
    return rows, hashlib.sha256(rows.encode()).hexdigest()[:16]


@bp.get("/queue.json")
@login_required
def queue_json() -> Response:
    """The queue rows as HTML plus counts, polled by the queue page every few seconds."""
    f = _filters()
    with runtime().db.transaction() as uow:
        data = _queue_data(uow.session, f)
        rows, version = _rows(data)
    return jsonify(counts=data["counts"], total=len(data["items"]), approvals=data["approvals"],
                   rows_html=rows, version=version)


@bp.post("/items/<int:item_id>/claim")
@login_required
def claim(item_id: int) -> Response:
    """Take the item so nobody else works on it at the same time."""
    rt = runtime()
    with rt.db.transaction() as uow:
        ok = claims.claim(uow.session, item_id, username(), rt.config.claim_ttl_seconds)
    if not ok:
        flash("Someone else is already working on that item, or it was closed. Pick another one.", "error")
        return redirect(url_for("console.queue"))
    return redirect(url_for("console.item", item_id=item_id))


def item_context(s: Session, item: BacklogItem | None, precinct: Precinct | None) -> dict[str, Any]:
    """What the item and precinct pages show: chair, phones, every event, reports, photos."""
    phones = contact.phones_for(s, precinct, item)
    subs = history.submissions(s, precinct) if precinct else []
    return {"item": item, "precinct": precinct, "chair": precinct.chair if precinct else None,
            "phones": phones, "registered": contact.phones_for(s, precinct) if precinct else [],
            "events": history.timeline(s, precinct, phones), "submissions": subs,
            "photos": history.photos(subs), "worksheets": history.worksheets(s, precinct) if precinct else [],
            "identity": contact.identity_status(s, precinct) if precinct else None,
            "me_user": s.get(StaffUser, g.user.id)}


@bp.get("/items/<int:item_id>")
@login_required
def item(item_id: int) -> str:
    """One item with the precinct's whole history and the actions for whoever holds it."""
    with runtime().db.transaction() as uow:
        s = uow.session
        found = s.get(BacklogItem, item_id)
        if found is None:
            return render_template("console/missing.html", what=f"item {item_id}"), 404  # type: ignore[return-value]
        holder = claims.holder(found)
        # Rendered inside the transaction: the page reads lazy relationships (chair, reports).
        return render_template("console/item.html", holder=holder, mine=holder == username(),
                               label=claims.label(found.kind), **item_context(s, found, found.precinct))


def act(item_id: int, action: Any, done: str = "") -> bool:
    """Run `action(uow, item)` if the signed-in user holds the item; flash the outcome."""
    rt = runtime()
    try:
        with rt.db.transaction() as uow:
            held = claims.held(uow.session, item_id, username(), rt.config.claim_ttl_seconds)
            message = action(uow, held)
    except (claims.NotClaimant, contact.ContactError, staff_entry.EntryError, ValueError) as exc:
        flash(str(exc), "error")
        return False
    if isinstance(message, tuple):  # (text, "error"): a refusal that must still be committed
        flash(*message)
    elif message or done:
        flash(message or done)
    return True


def back_to(item_id: int) -> Response:
    return redirect(url_for("console.item", item_id=item_id))


@bp.post("/items/<int:item_id>/release")
@login_required
def release(item_id: int) -> Response:
    """Put the item back in the queue for someone else."""
    if act(item_id, lambda uow, it: claims.release(uow.session, it, username()),
           "Released: the item is back in the queue."):
        return redirect(url_for("console.queue"))
    return back_to(item_id)


@bp.post("/items/<int:item_id>/resolve")
@login_required
def resolve(item_id: int) -> Response:
    """Close the item with a note (required)."""
    note = request.form.get("note", "")
    if act(item_id, lambda uow, it: claims.resolve(uow.session, it, username(), note),
           "Resolved. Thank you! Pick the next item from the top of the queue."):
        return redirect(url_for("console.queue"))
    return back_to(item_id)


@bp.post("/me/phone")
@login_required
def my_phone() -> Response:
    """Save the signed-in user's own phone, which click-to-call rings first."""
    try:
        with runtime().db.transaction() as uow:
            user = uow.session.get(StaffUser, g.user.id)
            staff.update_user(uow.session, user, actor=username(), phone=request.form.get("phone", ""))
        flash("Your phone number is saved.")
    except staff.StaffError as exc:
        flash(str(exc), "error")
    return redirect(safe_next(request.form.get("back")))
