"""Each precinct's public page and record (HTML and JSON), its proof, and its published photos.

Routes on the public blueprint (so the public rate limit covers them); registered by importing
this module before the blueprint is (see app.py).
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Response, g, render_template, url_for

from hotline.domain.central_time import clock_and_day
from hotline.services.results import precinct as records
from hotline.services.results import proofs
from hotline.web import runtime
from hotline.web.public import _cached, _error, _render_once, bp

_SHA256 = re.compile(r"[0-9a-f]{64}")
VERIFIER = Path(__file__).resolve().parent.parent / "verifier" / "verify_public.py"


def _record(code: str) -> records.Record | Response:
    rt = runtime()
    try:
        return records.record(rt.units, rt.redis, code)
    except records.UnknownPrecinct:
        return _error(404, f"No precinct has the code {code[:40]!r}; see /api/results/precincts for the codes.")


@bp.get("/api/results/precincts/<code>")
def api_precinct(code: str) -> Response:
    """One precinct's public record as JSON: status, figures, the math, the checks' findings, every
    published change, the published worksheet photos and the log entries behind each figure."""
    found = _record(code)
    if isinstance(found, Response):
        return found
    return _cached(found.answer, "application/json", "public, max-age=5")


@bp.get("/api/results/precincts/<code>/proof")
def api_precinct_proof(code: str) -> Response:
    """The log entries behind a published precinct's figures, each with its RFC 9162 inclusion
    path to the latest signed checkpoint (which the document carries)."""
    rt = runtime()
    try:
        body = proofs.proof(rt.units, rt.redis, code)
    except records.UnknownPrecinct:
        return _error(404, f"No precinct has the code {code[:40]!r}.")
    except proofs.NothingToProve:
        return _error(404, f"{records.normal_code(code)} has no published figures yet, so there is nothing to prove.")
    except proofs.NoCheckpoint:
        return _retry(f"No checkpoint of the verification log has been signed yet; one is signed every "
                      f"{rt.config.checkpoint_interval_seconds} s. Try again then.")
    except proofs.NotYetCovered as late:
        return _retry(f"The newest entry behind these figures (entry {late.newest}) is newer than the latest "
                      f"signed checkpoint ({late.log_size} entries); checkpoints are signed every "
                      f"{rt.config.checkpoint_interval_seconds} s. Try again then.")
    except proofs.CheckpointMismatch:
        return _error(500, "This server's verification log does not give the signed checkpoint's root; the "
                           "administrators have been alerted. Do not trust figures from this server until it is explained.")
    resp = Response(body, mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=10"
    return resp


def _retry(message: str) -> Response:
    resp = _error(503, message)
    resp.headers["Retry-After"] = str(max(5, int(runtime().config.checkpoint_interval_seconds)))
    return resp


@bp.get("/results/precincts/<code>/photos/<sha256>")
def precinct_photo(code: str, sha256: str) -> Response:
    """A published worksheet photo of a published precinct, by its SHA-256."""
    found = _record(code)
    if isinstance(found, Response):
        return found
    sha256 = sha256.lower()
    if not _SHA256.fullmatch(sha256) or sha256 not in {p["sha256"] for p in found.data.get("photos", [])}:
        return _error(404, "This precinct has no published photo with that SHA-256.")
    photo = next(p for p in found.data["photos"] if p["sha256"] == sha256)
    data = runtime().media.get(sha256)
    if data is None:
        return _error(404, "The photo is not in the store (it may be arriving).")
    resp = Response(data, mimetype=photo["content_type"] or "application/octet-stream")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f'inline; filename="{found.data["precinct"]}-{sha256[:12]}"'
    resp.headers["Cache-Control"] = "public, max-age=86400, immutable"  # the same hash is the same bytes
    resp.headers["ETag"] = f'"{sha256}"'
    return resp


@bp.get("/results/verify_public.py")
def verifier_script() -> Response:
    """The standalone verifier (Python 3 and `cryptography`): check any precinct against this server."""
    resp = Response(VERIFIER.read_bytes(), mimetype="text/x-python")
    resp.headers["Content-Disposition"] = 'attachment; filename="verify_public.py"'
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


def _central(value: str | None) -> str:
    return clock_and_day(datetime.fromisoformat(value)) if value else ""


def _page_context(found: records.Record) -> dict[str, Any]:
    data = found.data
    names = list(dict.fromkeys([*data.get("first", {}), *data.get("final", {}), *data.get("delegates", {})]))
    rows = [{"candidate": n, "first": data["first"].get(n, 0), "final": data["final"].get(n, 0),
             "delegates": data["delegates"].get(n, 0), "sde": data["sde"].get(n, "")} for n in names] \
        if data["status"] == records.PUBLISHED else []
    rows.sort(key=lambda r: (-r["delegates"], -r["final"], -r["first"], r["candidate"]))
    return {"data": data, "rows": rows, "central": _central,
            # Never the request's Host header: the page is cached and served to everyone.
            "base_url": (runtime().config.public_base_url or "").rstrip("/") or "https://THIS-SITE",
            "json_url": url_for("public.api_precinct", code=data["precinct"]),
            "proof_url": url_for("public.api_precinct_proof", code=data["precinct"])}


@bp.get("/results/precincts/<code>")
def precinct_page(code: str) -> Response | tuple[str, int] | str:
    """A precinct's public page: the record above as people read it, on a phone or a desk."""
    rt = runtime()
    try:
        found = records.record(rt.units, rt.redis, code)
    except records.UnknownPrecinct:
        return render_template("results_precinct_missing.html", code=code[:40]), 404
    if g.get("user") is not None:
        return render_template("results_precinct.html", **_page_context(found))
    page = _render_once(f"precinct:{found.data['precinct']}", found,
                        lambda: render_template("results_precinct.html", **_page_context(found)))
    return _cached(page, "text/html", "no-cache")
