"""Administrators: the precinct board, CSV imports, staff accounts, refused traffic and results exports."""
from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from hotline.services.console import accounts
from hotline.services.console import board as board_svc
from hotline.services.console import missing_reports
from hotline.services.ops import importing, traffic
from hotline.web import runtime
from hotline.web.auth import admin_required, username

logger = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")
RESULT_COLUMNS = ["county", "precinct", "state", "published", "candidate", "first", "final", "delegates"]


@bp.get("/")
@admin_required
def board() -> str:
    """Every precinct's state, filterable, with "N of M reporting" per county and statewide."""
    county, state, code = (request.args.get(k) or None for k in ("county", "state", "code"))
    data = board_svc.show(runtime().units, county=county, state=state, code=code)
    return render_template("admin/board.html", board=data, states=board_svc.STATES, photos=board_svc.PHOTO,
                           f={"county": county, "state": state, "code": code},
                           missing=missing_reports.count(runtime().units))


@bp.route("/imports", methods=["GET", "POST"])
@admin_required
def imports() -> Any:
    """Upload the roster, candidates or counties as CSV: every row valid, or nothing imported."""
    if request.method == "GET":
        return render_template("admin/imports.html", imports=importing.COLUMNS)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in importing.IMPORTERS or upload is None or not upload.filename:
        flash("Choose a CSV file to upload.", "error")
        return redirect(url_for("admin.imports"))
    text = upload.read().decode("utf-8-sig", errors="replace")
    try:
        n = importing.load(runtime().units, kind, text, actor=username())
    except importing.ImportError_ as exc:
        return render_template("admin/imports.html", imports=importing.COLUMNS, kind=kind, errors=exc.errors,
                               filename=upload.filename), 422
    flash(f"Imported {n} {kind} rows from {upload.filename}.")
    return redirect(url_for("admin.imports"))


@bp.get("/staff")
@admin_required
def staff_list() -> str:
    """Staff and administrator accounts."""
    return render_template("admin/staff.html", users=accounts.everyone(runtime().units), roles=accounts.ROLES)


@bp.post("/staff")
@admin_required
def staff_create() -> Response:
    """Create an account."""
    f = request.form
    try:
        name = accounts.add(runtime().units, f.get("username", ""), f.get("password", ""),
                            f.get("role", "staff"), actor=username(), display_name=f.get("display_name", ""),
                            phone=f.get("phone"))
    except accounts.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Account {name} created.")
    return redirect(url_for("admin.staff_list"))


@bp.post("/staff/<int:user_id>")
@admin_required
def staff_update(user_id: int) -> Response:
    """Change an account's role, phone, password, or switch it off or on."""
    f = request.form
    try:
        accounts.change(runtime().units, user_id, actor=username(), role=f.get("role") or None,
                        active={"1": True, "0": False}.get(f.get("active", "")),
                        phone=f.get("phone"), password=f.get("password") or None)
    except accounts.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash("Account updated.")
    return redirect(url_for("admin.staff_list"))


@bp.get("/traffic")
@admin_required
def traffic_page() -> str:
    """Requests refused in the last 24 hours (bad signatures, malformed webhooks, throttles) and
    their top sources: read from fixed-size Redis counters, never from the log."""
    try:
        day = traffic.last_day(runtime().redis)
    except Exception:  # Redis down: say so rather than fail the page
        logger.exception("could not read the refusal counters")
        day = None
    return render_template("admin/traffic.html", day=day)


@bp.get("/exports/results.<fmt>")
@admin_required
def export_results(fmt: str) -> Response:
    """Every precinct's current numbers, published or not, as CSV or JSON."""
    rows = board_svc.export(runtime().units)
    if fmt == "json":
        return _download(json.dumps(rows, indent=1), "application/json", "results.json")
    if fmt != "csv":
        return Response("Use results.csv or results.json", status=404, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return _download(out.getvalue(), "text/csv", "results.csv")


def _download(body: str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return resp
