"""Public results: only confirmed, checked (or explained) precincts; nothing personal."""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template

from hotline.services.log import checkpoints
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


@bp.get("/api/log/checkpoint")
def api_log_checkpoint() -> Response:
    """The latest signed checkpoint of the verification log, exactly as signed (keep a copy: a
    later log that does not extend it was rolled back or rewritten)."""
    rt = runtime()
    text = checkpoints.published(rt.units, rt.redis)
    if text is None:
        return _error(404, "No checkpoint of the verification log has been signed yet.")
    resp = Response(text, mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=10"
    return resp


@bp.get("/api/log/public-key")
def api_log_public_key() -> Response:
    """The Ed25519 public key that checkpoints are signed with, and the earlier ones still accepted."""
    info = checkpoints.public_key(runtime().units)
    if info is None:
        return _error(503, "No signing key is configured for the verification log.")
    resp = Response(json.dumps(info), mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=60"
    return resp


def _error(status: int, message: str) -> Response:
    resp = Response(json.dumps({"error": message}), status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/results")
def results_page() -> str:
    """The public results page."""
    rt = runtime()
    return render_template("results.html", data=json.loads(results.summary_json(rt.units, rt.redis)))
