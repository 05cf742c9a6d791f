"""Administrators: the verification log (search, export, verify) and paper reconciliation."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.adapters.models import Worksheet
from hotline.services.log import chain as vlog
from hotline.services.log import search as log_search
from hotline.services.records import roster
from hotline.services.console import worksheets
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
    f = _filters()
    with runtime().db.transaction() as uow:
        entries = log_search.search(uow.session, f, before_seq=request.args.get("before", type=int))
        kinds = log_search.kinds(uow.session)
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("admin/log.html", entries=entries, kinds=kinds, args=args,
                           page=log_search.PAGE)


@bp.get("/log.<fmt>")
@admin_required
def export(fmt: str) -> Response:
    """The matching entries in chain order, as CSV or JSON (streamed)."""
    f, rt = _filters(), runtime()
    if fmt not in ("csv", "json"):
        return Response("Use log.csv or log.json", status=404, mimetype="text/plain")

    def rows() -> Iterator[dict[str, Any]]:
        # One short transaction per batch: SQLite writers (webhooks) must not wait for a download.
        last = 0
        while True:
            with rt.db.transaction() as uow:
                batch = log_search.export_batch(uow.session, f, after_seq=last)
            if not batch:
                return
            yield from batch
            last = batch[-1]["seq"]

    body = _csv(rows()) if fmt == "csv" else _json(rows())
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
    """Walk the hash chain and say whether any entry was altered or removed."""
    with runtime().db.transaction() as uow:
        broken = vlog.verify(uow.session)
        vlog.record(uow.session, "log_verified", actor=username(), ok=broken is None,
                    broken_seq=broken.seq if broken else None)
    if broken:
        flash(f"The log is BROKEN: entry {broken.seq} {broken.reason}.", "error")
    else:
        flash("The verification log is intact: every entry links to the one before it.")
    return redirect(url_for("admin_log.log"))


@bp.get("/reconcile")
@admin_required
def reconcile_page() -> Any:
    """Pick a precinct, copy its paper worksheet, see where it differs from the recorded report."""
    rt = runtime()
    code = (request.args.get("code") or "").strip().upper()
    cands = roster.candidates(rt)
    with rt.db.transaction() as uow:
        s = uow.session
        precinct = roster.precinct_by_code(s, code) if code else None
        if code and precinct is None:
            flash(f"There is no precinct {code}.", "error")
        sheets = []
        if precinct is not None:
            rows = s.execute(select(Worksheet).where(Worksheet.precinct_id == precinct.id)
                             .order_by(Worksheet.id.desc())).scalars()
            sheets = [(ws, worksheets.differences(s, precinct, ws)) for ws in rows]
        return render_template("admin/reconcile.html", code=code, precinct=precinct, sheets=sheets,
                               candidates=cands, field=forms.field, values={})


@bp.post("/reconcile/<code>")
@admin_required
def reconcile_save(code: str) -> Response:
    """Store the worksheet's numbers and show the differences."""
    rt = runtime()
    stages, attendance, problems = forms.read_grid(request.form, roster.candidates(rt))
    if problems:
        for p in problems:
            flash(p, "error")
        return redirect(url_for("admin_log.reconcile_page", code=code))
    try:
        with rt.db.transaction() as uow:
            precinct = roster.precinct_by_code(uow.session, code)
            if precinct is None:
                raise ValueError(f"There is no precinct {code}.")
            worksheets.record(uow.session, precinct, stages, attendance, username(),
                             request.form.get("note", ""))
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        flash("Worksheet saved. Differences from the recorded report are listed below.")
    return redirect(url_for("admin_log.reconcile_page", code=code))
