"""Public results: only confirmed, checked (or explained) precincts; nothing personal."""
from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, render_template

from hotline.services.results import public as results
from hotline.web import runtime

bp = Blueprint("public", __name__)
_cache = results.Cache()
CSV_COLUMNS = ["county", "precinct", "candidate", "first", "final", "county_delegates", "sde"]


def _summary() -> bytes:
    return _cache.get(runtime(), "summary", lambda s: results.as_json(results.summary(s)))


def _json(body: bytes) -> Response:
    resp = Response(body, mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=5"
    return resp


@bp.get("/api/results")
def api_results() -> Response:
    """Statewide and county totals with "N of M precincts reporting"."""
    return _json(_summary())


@bp.get("/api/results/precincts")
def api_precincts() -> Response:
    """Per-precinct results as JSON."""
    return _json(_cache.get(runtime(), "precincts", lambda s: results.as_json(results.precinct_rows(s))))


@bp.get("/api/results/precincts.csv")
def api_precincts_csv() -> Response:
    """Per-precinct results as CSV."""
    def build(s) -> bytes:  # type: ignore[no-untyped-def]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(results.precinct_rows(s))
        return out.getvalue().encode()
    resp = Response(_cache.get(runtime(), "precincts.csv", build), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename=precinct-results.csv"
    return resp


@bp.get("/results")
def results_page() -> str:
    """The public results page."""
    return render_template("results.html", data=json.loads(_summary()))
