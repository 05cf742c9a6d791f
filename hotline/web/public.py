"""Public results: only confirmed, checked (or explained) precincts; nothing personal."""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template

from hotline.services.results import public as results
from hotline.web import runtime

bp = Blueprint("public", __name__)


def _json(body: bytes) -> Response:
    resp = Response(body, mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=5"
    return resp


@bp.get("/api/results")
def api_results() -> Response:
    """Statewide and county totals with "N of M precincts reporting"."""
    rt = runtime()
    return _json(results.summary_json(rt.units, rt.redis))


@bp.get("/api/results/precincts")
def api_precincts() -> Response:
    """Per-precinct results as JSON."""
    rt = runtime()
    return _json(results.precincts_json(rt.units, rt.redis))


@bp.get("/api/results/precincts.csv")
def api_precincts_csv() -> Response:
    """Per-precinct results as CSV."""
    rt = runtime()
    resp = Response(results.precincts_csv(rt.units, rt.redis), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename=precinct-results.csv"
    return resp


@bp.get("/results")
def results_page() -> str:
    """The public results page."""
    rt = runtime()
    return render_template("results.html", data=json.loads(results.summary_json(rt.units, rt.redis)))
