"""The staff console: the live queue, claiming, an item's page, release and resolve."""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hotline.services.console import accounts, canned, casefile, claims, conflicts, contact, entry, photos, review
from hotline.web import runtime
from hotline.web.auth import login_required, safe_next, username

bp = Blueprint("console", __name__, url_prefix="/console")

# What a use case raises when it refuses a staff action; the message is written for the staff member.
REFUSED = (claims.NotClaimant, contact.ContactError, entry.EntryError, review.NotFlagged, ValueError)


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
    minutes = int((datetime.now(timezone.utc) - value).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    return f"{minutes} min ago" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min ago"


def fields_of(view: Any) -> dict[str, Any]:
    """A view dataclass's fields as template variables (one level deep)."""
    return {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}


SCOPES = ("mine", "all")  # the queue: my counties first (the default for staff who have some), or all alike


def _filters() -> tuple[claims.Filters, list[str], str]:
    """The queue's filters, the signed-in member's counties and the scope in force."""
    mine = accounts.counties_of(runtime().units, username())
    scope = request.args.get("scope")
    scope = scope if scope in SCOPES else "mine"
    f = claims.Filters(kind=request.args.get("kind") or None, county=request.args.get("county") or None,
                       first=tuple(mine) if scope == "mine" else ())
    return f, mine, scope if mine else "all"


def _rows(q: claims.Queue, f: claims.Filters) -> tuple[str, str]:
    """The queue's table rows and a short fingerprint, so the page swaps rows only on a change."""
    rows = render_template("console/_queue_rows.html", items=q.items, holders=q.holders, me=username(),
                           label=claims.label, first=f.first)
    # Ages ("4 min ago") change every minute; that is a change worth showing.
    return rows, hashlib.sha256(rows.encode()).hexdigest()[:16]


@bp.get("/")
@login_required
def queue() -> str:
    """The backlog, most urgent and oldest first, with counts by kind and filters."""
    (f, mine, scope), rt = _filters(), runtime()
    q = claims.overview(rt.units, f)
    rows, version = _rows(q, f)
    return render_template("console/queue.html", f=f, mine=mine, scope=scope, counties=q.counties, counts=q.counts,
                           approvals=q.approvals, label=claims.label, rows_html=rows, version=version,
                           claim_minutes=rt.config.claim_ttl_seconds // 60)


@bp.get("/photos/<sha256>")
@login_required
def photo(sha256: str) -> Any:
    """Our stored copy of a worksheet photo, by its SHA-256, as the type it was checked to be."""
    rt = runtime()
    copy = photos.stored_copy(rt.units, rt.media, sha256)
    if copy is None:
        return render_template("console/missing.html", what="that photo"), 404
    resp = Response(copy.data, mimetype=copy.content_type)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f'inline; filename="{sha256.lower()}"'
    # The same hash is the same bytes forever; only signed-in staff may hold it.
    resp.headers["Cache-Control"] = "private, max-age=86400, immutable"
    resp.headers["ETag"] = f'"{sha256.lower()}"'
    return resp


@bp.post("/photos/<int:photo_id>/mark")
@login_required
def mark_photo(photo_id: int) -> Response:
    """Mark a stored photo against the recorded report: matches, differs (on to a correction), unreadable."""
    back = safe_next(request.form.get("next"))
    try:
        marked = photos.mark(runtime().units, photo_id, request.form.get("outcome", ""), username())
    except photos.MarkError as exc:
        flash(str(exc), "error")
        return redirect(back)
    if marked.outcome == "differs":
        flash("Photo marked as differing from the recorded report. Enter the numbers from the paper "
              "worksheet below; the correction counts once another staff member approves it.")
        return redirect(url_for("entry.enter", code=marked.code, worksheet=marked.worksheet_id))
    if marked.outcome == "unreadable":
        flash(f"Photo marked as unreadable. A text to {marked.texted} asks the chair for a new, clear photo."
              if marked.texted else "Photo marked as unreadable. The chair has no registered phone: "
              "call them and ask for a new photo.")
    else:
        flash("Photo marked as matching the recorded report.")
    return redirect(back)


@bp.get("/queue.json")
@login_required
def queue_json() -> Response:
    """The queue rows as HTML plus counts, polled by the queue page every few seconds."""
    f = _filters()[0]
    q = claims.overview(runtime().units, f)
    rows, version = _rows(q, f)
    return jsonify(counts=q.counts, total=len(q.items), approvals=q.approvals, rows_html=rows,
                   version=version)


@bp.post("/items/<int:item_id>/claim")
@login_required
def claim(item_id: int) -> Response:
    """Take the item so nobody else works on it at the same time."""
    if not claims.take(runtime().units, item_id, username()):
        flash("Someone else is already working on that item, or it was closed. Pick another one.", "error")
        return redirect(url_for("console.queue"))
    return redirect(url_for("console.item", item_id=item_id))


@bp.get("/items/<int:item_id>")
@login_required
def item(item_id: int) -> Any:
    """One item with the precinct's whole history and the actions for whoever holds it."""
    try:
        case = casefile.item(runtime().units, item_id, username())
    except casefile.UnknownItem:
        return render_template("console/missing.html", what=f"item {item_id}"), 404
    assert case.item is not None
    replies = canned.everything(runtime().units)
    # Without JavaScript, choosing a canned reply reloads the page with it in the message box.
    chosen = next((r for r in replies if r.id == request.args.get("reply", type=int)), None)
    seen = conflicts.view(runtime().units, case.precinct.code) if case.precinct is not None else None
    return render_template("console/item.html", mine=case.holder == username(),
                           label=claims.label(case.item.kind), replies=replies, chosen=chosen,
                           sources=seen, **fields_of(case))


def act(action: Callable[[], str | tuple[str, str] | None], done: str = "") -> bool:
    """Run a staff action; flash its message (or `done`), or why it was refused."""
    try:
        message = action()
    except REFUSED as exc:
        flash(str(exc), "error")
        return False
    if isinstance(message, tuple):  # (text, "error"): a refusal the use case still committed
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
    if act(lambda: claims.give_back(runtime().units, item_id, username()),
           "Released: the item is back in the queue."):
        return redirect(url_for("console.queue"))
    return back_to(item_id)


@bp.post("/items/<int:item_id>/resolve")
@login_required
def resolve(item_id: int) -> Response:
    """Close the item with a note (required)."""
    note = request.form.get("note", "")
    if act(lambda: claims.close(runtime().units, item_id, username(), note),
           "Resolved. Thank you! Pick the next item from the top of the queue."):
        return redirect(url_for("console.queue"))
    return back_to(item_id)


@bp.post("/me/phone")
@login_required
def my_phone() -> Response:
    """Save the signed-in user's own phone, which click-to-call rings first."""
    try:
        accounts.set_phone(runtime().units, username(), request.form.get("phone", ""))
        flash("Your phone number is saved.")
    except accounts.StaffError as exc:
        flash(str(exc), "error")
    return redirect(safe_next(request.form.get("back")))
