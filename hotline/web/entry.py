"""Staff entry of results for a chair, the precinct page, and the approval queue."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hotline.adapters.models import BacklogItem, Precinct, Worksheet
from hotline.services.console import claims, entry as staff_entry, worksheets
from hotline.services.records import roster
from hotline.web import forms, runtime
from hotline.web.auth import login_required, username
from hotline.web.console import item_context

bp = Blueprint("entry", __name__, url_prefix="/console")


def _precinct(s: Any, code: str) -> Precinct | None:
    return roster.precinct_by_code(s, code)


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
    with runtime().db.transaction() as uow:
        found = _precinct(uow.session, code)
        if found is None:
            return render_template("console/missing.html", what=f"precinct {code.upper()}"), 404
        return render_template("console/precinct.html", **item_context(uow.session, None, found))


def _entry_page(code: str, status: int = 200, **extra: Any) -> Any:
    rt = runtime()
    item_id = request.values.get("item", type=int)
    ws_id = request.values.get("worksheet", type=int)
    cands = roster.candidates(rt)
    with rt.db.transaction() as uow:
        s = uow.session
        found = _precinct(s, code)
        if found is None:
            return render_template("console/missing.html", what=f"precinct {code.upper()}"), 404
        item = s.get(BacklogItem, item_id) if item_id else None
        ws = s.get(Worksheet, ws_id) if ws_id else None
        values = extra.pop("values", None)
        if values is None and ws is not None and ws.precinct_id == found.id:
            values = forms.grid_values(worksheets.stages_of(ws), cands, ws.attendance)
        return render_template("console/enter.html", precinct=found, item=item, worksheet=ws,
                               candidates=cands, values=values or {}, field=forms.field, **extra), status


@bp.route("/precincts/<code>/enter", methods=["GET", "POST"])
@login_required
def enter(code: str) -> Any:
    """Enter or correct results for a chair: typed like a text, or one box per candidate."""
    if request.method == "GET":
        return _entry_page(code)
    rt, text = runtime(), request.form.get("text", "").strip()
    item_id = request.form.get("item", type=int)
    cands = roster.candidates(rt)
    with rt.db.transaction() as uow:
        found = _precinct(uow.session, code)
    if found is None:
        return _entry_page(code)
    try:
        # Parsed before the write transaction: the roster cache may open one of its own.
        if text:
            sections, attendance = staff_entry.parse_text(rt, found, text)
        else:
            grid, attendance, problems = forms.read_grid(request.form, cands)
            if problems:
                raise staff_entry.EntryError(problems)
            sections = staff_entry.counts_of(grid)
        with rt.db.transaction() as uow:
            if item_id:  # from an item: only its holder may enter results for it
                claims.held(uow.session, item_id, username(), rt.config.claim_ttl_seconds)
            precinct_row = _precinct(uow.session, code)
            staff_entry.enter(uow, rt, precinct_row, username(), sections, attendance, body=text,
                              item_id=item_id)
    except (staff_entry.EntryError, claims.NotClaimant) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        return _entry_page(code, 422, problems=problems, text=text, values=request.form.to_dict())
    flash(f"Entered for {code.upper()}. It counts once another staff member approves it on the "
          "Approvals page.")
    return redirect(url_for("console.item", item_id=item_id) if item_id else url_for("entry.approvals"))


@bp.get("/approvals")
@login_required
def approvals() -> str:
    """Staff entries waiting for a second staff member."""
    with runtime().db.transaction() as uow:
        return render_template("console/approvals.html", pending=staff_entry.pending(uow.session),
                               me=username())


@bp.post("/approvals/<int:submission_id>/approve")
@login_required
def approve(submission_id: int) -> Response:
    """Approve another staff member's entry: it becomes the precinct's counting report."""
    rt = runtime()
    try:
        with rt.db.transaction() as uow:
            staff_entry.approve(uow, rt, submission_id, username())
    except staff_entry.EntryError as exc:
        flash(str(exc), "error")
    else:
        flash("Approved: the results now count and the chair was sent a text saying what was recorded.")
    return redirect(url_for("entry.approvals"))


@bp.post("/approvals/<int:submission_id>/reject")
@login_required
def reject(submission_id: int) -> Response:
    """Reject (or, for the author, withdraw) an entry, with a reason."""
    try:
        with runtime().db.transaction() as uow:
            staff_entry.reject(uow.session, submission_id, username(), request.form.get("reason", ""))
    except staff_entry.EntryError as exc:
        flash(str(exc), "error")
    else:
        flash("Rejected: nothing was recorded from that entry.")
    return redirect(url_for("entry.approvals"))
