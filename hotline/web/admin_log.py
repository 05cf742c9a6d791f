"""Administrators: the verification log (search, export, verify) and paper reconciliation."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from hotline.services.console import worksheets
from hotline.services.console.views import UnknownPrecinct
from hotline.services.log import audit, checkpoints
from hotline.services.log import search as log_search
from hotline.services.records import roster
from hotline.web import forms, runtime
from hotline.web.auth import admin_required, username

bp = Blueprint("admin_log", __name__, url_prefix="/admin")


def _filters() -> log_search.Filters:
    a = request.args
    return log_search.Filters(precinct=a.get("precinct") or None, phone=a.get("phone") or None,
                              actor=a.get("actor") or None, kind=a.get("kind") or None,
                              since=forms.parse_time(a.get("since")), until=forms.parse_time(a.get("until")))


@bp.get("/log")
@admin_required
def log() -> str:
    """Search the log by precinct, phone, staff member, kind and time; newest first."""
    found = log_search.find(runtime().units, _filters(), before_seq=request.args.get("before", type=int))
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("admin/log.html", entries=found.entries, kinds=found.kinds, args=args,
                           page=log_search.PAGE)


@bp.get("/log.<fmt>")
@admin_required
def export(fmt: str) -> Response:
    """The matching entries in chain order, as CSV or JSON (streamed)."""
    if fmt not in ("csv", "json"):
        return Response("Use log.csv or log.json", status=404, mimetype="text/plain")
    rows = log_search.export(runtime().units, _filters())  # read batch by batch as the body streams
    body = _csv(rows) if fmt == "csv" else _json(rows)
    resp = Response(body, mimetype="text/csv" if fmt == "csv" else "application/json")
    resp.headers["Content-Disposition"] = f"attachment; filename=verification-log.{fmt}"
    return resp


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=log_search.COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "detail": json.dumps(row["detail"], sort_keys=True)})
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def _json(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(row)
    yield "\n]\n"


@bp.post("/log/verify")
@admin_required
def verify() -> Response:
    """Walk the hash chain and say whether any entry was altered or removed, and whether the log
    still extends the latest signed checkpoint (a rollback or rewrite does not)."""
    rt = runtime()
    try:
        found = audit.verify(rt.units, username(), rt.redis)
    except checkpoints.MissingKey as exc:
        flash(f"The log could not be checked against its checkpoints: {exc}", "error")
        return redirect(url_for("admin_log.log"))
    if found.broken:
        flash(f"The log is BROKEN: entry {found.broken.seq} {found.broken.reason}.", "error")
    else:
        flash("The verification log is intact: every entry links to the one before it.")
    for problem in found.problems()[1 if found.broken else 0:]:
        flash(f"The log is BROKEN: {problem}", "error")
    if found.comparison is not None and found.comparison.ok:
        flash(found.comparison.message())
    elif found.comparison is None and not found.unreadable:
        flash("No signed checkpoint is stored yet to check the log against.")
    return redirect(url_for("admin_log.log"))


@bp.get("/reconcile")
@admin_required
def reconcile_page() -> Any:
    """Pick a precinct, copy its paper worksheet, see where it differs from the recorded report."""
    units = runtime().units
    code = (request.args.get("code") or "").strip().upper()
    found = None
    if code:
        try:
            found = worksheets.compare(units, code)
        except UnknownPrecinct as exc:
            flash(str(exc), "error")
    return render_template("admin/reconcile.html", code=code, precinct=found.precinct if found else None,
                           sheets=found.sheets if found else [], candidates=roster.candidates(units),
                           field=forms.field, values={})


@bp.post("/reconcile/<code>")
@admin_required
def reconcile_save(code: str) -> Response:
    """Store the worksheet's numbers and show the differences."""
    units = runtime().units
    stages, attendance, problems = forms.read_grid(request.form, roster.candidates(units))
    if problems:
        for p in problems:
            flash(p, "error")
        return redirect(url_for("admin_log.reconcile_page", code=code))
    try:
        worksheets.save(units, code, stages, attendance, username(), request.form.get("note", ""))
    except (UnknownPrecinct, ValueError) as exc:
        flash(str(exc), "error")
    else:
        flash("Worksheet saved. Differences from the recorded report are listed below.")
    return redirect(url_for("admin_log.reconcile_page", code=code))
