"""Administrators: the precinct board, CSV imports, staff accounts, refused traffic and results exports."""
from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for

from hotline.services.console import accounts
from hotline.services.console import board as board_svc
from hotline.services.console import canned, figures, missing_reports
from hotline.domain.staff_figures import duration_words
from hotline.services.ops import importing, traffic
from hotline.web import runtime
from hotline.web.auth import admin_required, username

logger = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")
RESULT_COLUMNS = ["county", "precinct", "state", "published", "sources_agreeing", "corroborated_by", "source_conflict",
                  "candidate", "first", "final", "delegates"]


@bp.get("/")
@admin_required
def board() -> str:
    """Every precinct's state, filterable, with "N of M reporting" per county and statewide."""
    county, state, code = (request.args.get(k) or None for k in ("county", "state", "code"))
    per_page = request.args.get("per_page", board_svc.PAGE_SIZE, type=int)
    data = board_svc.show(runtime().units, county=county, state=state, code=code,
                          page=request.args.get("page", 1, type=int), per_page=per_page)
    return render_template("admin/board.html", board=data, states=board_svc.STATES, photos=board_svc.PHOTO,
                           f={"county": county, "state": state, "code": code, "per_page": data.per_page},
                           page_sizes=board_svc.PAGE_SIZES,
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
    units = runtime().units
    return render_template("admin/staff.html", users=accounts.everyone(units), roles=accounts.ROLES,
                           county_names=accounts.county_names(units))


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
                        phone=f.get("phone"), password=f.get("password") or None, counties=f.get("counties"))
    except accounts.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash("Account updated.")
    return redirect(url_for("admin.staff_list"))


@bp.get("/replies")
@admin_required
def replies() -> str:
    """Canned replies staff insert into *Text the chair*."""
    return render_template("admin/replies.html", replies=canned.everything(runtime().units),
                           languages=canned.LANGUAGES, body_max=canned.BODY_MAX)


@bp.post("/replies")
@admin_required
def reply_create() -> Response:
    f = request.form
    try:
        made = canned.create(runtime().units, f.get("title", ""), f.get("body", ""), f.get("language", "en"),
                             actor=username())
    except canned.CannedError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Canned reply '{made.title}' added.")
    return redirect(url_for("admin.replies"))


@bp.post("/replies/<int:reply_id>")
@admin_required
def reply_update(reply_id: int) -> Response:
    f = request.form
    try:
        canned.change(runtime().units, reply_id, f.get("title", ""), f.get("body", ""), f.get("language", "en"),
                      actor=username())
    except canned.CannedError as exc:
        flash(str(exc), "error")
    else:
        flash("Canned reply saved.")
    return redirect(url_for("admin.replies"))


@bp.post("/replies/<int:reply_id>/delete")
@admin_required
def reply_delete(reply_id: int) -> Response:
    try:
        canned.remove(runtime().units, reply_id, actor=username())
    except canned.CannedError as exc:
        flash(str(exc), "error")
    else:
        flash("Canned reply deleted.")
    return redirect(url_for("admin.replies"))


def _figures() -> dict[str, Any]:
    units = runtime().units
    return {"staff": figures.per_staff(units), "queue": figures.queue(units), "duration": duration_words}


@bp.get("/figures")
@admin_required
def figures_page() -> str:
    """Per-staff figures and the queue's figures, updating by themselves."""
    return render_template("admin/figures.html", **_figures())


@bp.get("/figures.json")
@admin_required
def figures_json() -> Response:
    """The figures as numbers, and as the page's table rows (polled by console.js)."""
    data = _figures()
    q = data["queue"]
    return jsonify(
        queue={"waiting": q.waiting, "in_hand": q.in_hand, "oldest_seconds": q.oldest_seconds,
               "kinds": {k.kind: {"waiting": k.waiting, "in_hand": k.in_hand, "oldest_seconds": k.oldest_seconds}
                         for k in q.kinds}},
        staff={r.username: {"resolved": r.resolved, "median_seconds": r.median_seconds, "approved": r.approved}
               for r in data["staff"]},
        queue_html=render_template("admin/_queue_figures.html", **data),
        staff_html=render_template("admin/_staff_figures.html", **data))


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
