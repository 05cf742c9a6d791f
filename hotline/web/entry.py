"""Staff entry of results for a chair, the precinct page, and the approval queue."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hotline.services.console import casefile, claims, entry
from hotline.services.console import coin_toss as tosses
from hotline.services.console import conflicts, holds
from hotline.services.console.views import UnknownPrecinct
from hotline.services.records import roster
from hotline.web import forms, runtime
from hotline.web.auth import login_required, username
from hotline.web.console import fields_of

bp = Blueprint("entry", __name__, url_prefix="/console")


def _missing(code: str) -> tuple[str, int]:
    return render_template("console/missing.html", what=f"precinct {code.upper()}"), 404


@bp.get("/precincts")
@login_required
def find() -> Response:
    """Jump to a precinct by its code."""
    code = (request.args.get("code") or "").strip().upper()
    return redirect(url_for("entry.precinct", code=code) if code else url_for("console.queue"))


@bp.get("/precincts/<code>")
@login_required
def precinct(code: str) -> Any:
    """A precinct's chair, phones, every message and report, photos and worksheets."""
    try:
        case = casefile.precinct(runtime().units, code, username())
        toss = tosses.view(runtime().units, code)
        hold = holds.view(runtime().units, code, username())
        seen = conflicts.view(runtime().units, code)
    except UnknownPrecinct:
        return _missing(code)
    return render_template("console/precinct.html", toss=toss, hold=hold, sources=seen, **fields_of(case))


@bp.post("/precincts/<code>/hold")
@login_required
def place_hold(code: str) -> Any:
    """Hold the precinct back from the public results for review (a reason is required)."""
    try:
        held = holds.hold(runtime().units, code, username(), request.form.get("reason", ""))
    except UnknownPrecinct:
        return _missing(code)
    except holds.HoldRefused as exc:
        flash(str(exc), "error")
    else:
        if held.no_figures:
            flash(f"{code.upper()} is held for review. It has no figures yet: any that arrive stay out of the "
                  "public results until another staff member releases it.")
        else:
            flash(f"{code.upper()} is held for review: out of the public results until another staff member "
                  "releases it.")
    return redirect(url_for("entry.precinct", code=code.upper()) + "#hold")


@bp.post("/precincts/<code>/release")
@login_required
def release_hold(code: str) -> Any:
    """Release the precinct's hold after review (not the staff member who placed it)."""
    try:
        done = holds.release(runtime().units, code, username(), request.form.get("note", ""))
    except UnknownPrecinct:
        return _missing(code)
    except holds.HoldRefused as exc:
        flash(str(exc), "error")
    else:
        if done.refused:  # the placer's own try: refused, and logged
            flash(done.refused, "error")
        else:
            flash(f"{code.upper()} is released: its figures are public again if they pass the checks.")
    return redirect(url_for("entry.precinct", code=code.upper()) + "#hold")


@bp.post("/precincts/<code>/coin-toss")
@login_required
def coin_toss(code: str) -> Any:
    """Record or change who won the precinct's coin toss (one select per tie)."""
    winners = [w.strip() for w in request.form.getlist("winner") if w.strip()]
    try:
        done = tosses.record(runtime().units, code, username(), winners)
    except UnknownPrecinct:
        return _missing(code)
    except tosses.TossRefused as exc:
        flash(f"Coin toss not recorded: {exc}.", "error")
    else:
        held = " The reported delegates do not fit it: the precinct is held until that is sorted out." \
            if done.flagged else ""
        flash(f"Coin toss recorded for {code.upper()}: {' and '.join(done.toss.winners)} won.{held}")
    return redirect(url_for("entry.precinct", code=code.upper()))


def _entry_page(code: str, status: int = 200, **extra: Any) -> Any:
    item_id = request.values.get("item", type=int)
    ws_id = request.values.get("worksheet", type=int)
    try:
        page = entry.form(runtime().units, code, item_id, ws_id)
    except UnknownPrecinct:
        return _missing(code)
    values = extra.pop("values", None)
    ws = page.worksheet
    if ws is not None and ws.precinct_id != page.precinct.id:
        ws = None
    prefilled = None  # where the boxes' numbers come from: "worksheet" or "recorded"
    if values is None and ws is not None:
        values, prefilled = forms.grid_values(ws.stages, page.candidates, ws.attendance), "worksheet"
    elif values is None and (page.recorded.stages or page.recorded.attendance is not None):
        # A correction changes one box, not a whole stage: start from what is recorded now.
        values = forms.grid_values(page.recorded.stages, page.candidates, page.recorded.attendance)
        prefilled = "recorded"
    html = render_template("console/enter.html", precinct=page.precinct, item=page.item, worksheet=ws,
                           candidates=page.candidates, values=values or {}, field=forms.field,
                           recorded=page.recorded, prefilled=prefilled, **extra)
    return html, status


@bp.route("/precincts/<code>/enter", methods=["GET", "POST"])
@login_required
def enter(code: str) -> Any:
    """Enter or correct results for a chair: typed like a text, or one box per candidate."""
    if request.method == "GET":
        return _entry_page(code)
    units, text = runtime().units, request.form.get("text", "").strip()
    item_id = request.form.get("item", type=int)
    try:
        if text:
            entry.submit(units, code, username(), text=text, item_id=item_id)
        else:
            grid, attendance, problems = forms.read_grid(request.form, roster.candidates(units))
            if problems:
                raise entry.EntryError(problems)
            entry.submit(units, code, username(), sections=entry.counts_of(grid), attendance=attendance,
                         item_id=item_id)
    except UnknownPrecinct:
        return _missing(code)
    except entry.NothingChanged as exc:
        flash(str(exc))
        return redirect(url_for("entry.enter", code=code.upper(), **({"item": item_id} if item_id else {})))
    except (entry.EntryError, claims.NotClaimant) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        return _entry_page(code, 422, problems=problems, text=text, values=request.form.to_dict())
    flash(f"Entered for {code.upper()}. It counts once another staff member approves it on the "
          "Approvals page.")
    return redirect(url_for("console.item", item_id=item_id) if item_id else url_for("entry.approvals"))


@bp.get("/approvals")
@login_required
def approvals() -> str:
    """Staff entries waiting for a second staff member."""
    return render_template("console/approvals.html", pending=entry.waiting(runtime().units), me=username())


@bp.post("/approvals/<int:submission_id>/approve")
@login_required
def approve(submission_id: int) -> Response:
    """Approve another staff member's entry: it becomes the precinct's counting report."""
    try:
        entry.approve(runtime().units, submission_id, username())
    except entry.EntryError as exc:
        flash(str(exc), "error")
    else:
        flash("Approved: the results now count and the chair was sent a text saying what was recorded.")
    return redirect(url_for("entry.approvals"))


@bp.post("/approvals/<int:submission_id>/reject")
@login_required
def reject(submission_id: int) -> Response:
    """Reject (or, for the author, withdraw) an entry, with a reason."""
    try:
        entry.reject(runtime().units, submission_id, username(), request.form.get("reason", ""))
    except entry.EntryError as exc:
        flash(str(exc), "error")
    else:
        flash("Rejected: nothing was recorded from that entry.")
    return redirect(url_for("entry.approvals"))
