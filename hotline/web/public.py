"""Public results: only confirmed, checked (or explained) precincts; nothing personal."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Protocol

from flask import Blueprint, Response, g, render_template, request
from markupsafe import Markup

from hotline.services.log import checkpoints
from hotline.services.results import public as results
from hotline.web import runtime

bp = Blueprint("public", __name__)


def _json(body: bytes) -> Response:
    resp = Response(body, mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=5"
    return resp


def _cached(answer: results.Answer, mimetype: str, cache_control: str) -> Response:
    """A cached answer: `304` when the reader has it already, gzipped when the reader takes gzip."""
    if request.if_none_match.contains_weak(answer.etag.strip('"')):
        resp = Response(status=304)
    elif request.accept_encodings["gzip"] > 0:
        resp = Response(answer.gzipped, mimetype=mimetype)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = Response(answer.body, mimetype=mimetype)
    resp.headers["ETag"] = answer.etag
    resp.headers["Vary"] = "Accept-Encoding"
    resp.headers["Cache-Control"] = cache_control
    return resp


def _sequence_arg(name: str) -> int | None:
    """A whole number >= 0 from the query string (None when absent); ValueError otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise ValueError(raw)
    return int(raw)


@bp.get("/api/results")
def api_results() -> Response:
    """Statewide and county totals with "N of M precincts reporting", the feed's `sequence` and
    `as_of` (with an ETag named for the sequence: `304` to `If-None-Match` until the figures
    change). `?at=SEQ`: the results exactly as they stood at that sequence."""
    rt = runtime()
    if "at" not in request.args:
        return _cached(results.summary_answer(rt.units, rt.redis), "application/json", "public, max-age=5")
    try:
        at = _sequence_arg("at")
    except ValueError:
        return _error(400, "at must be a sequence number: a whole number, 0 or more.")
    assert at is not None
    try:
        answer = results.summary_at(rt.units, rt.redis, at)
    except results.BeyondSequence:
        return _error(404, f"The results have not reached sequence {at} yet; see sequence in /api/results.")
    return _cached(answer, "application/json", "public, max-age=3600")


@bp.get("/api/results/changes")
def api_results_changes() -> Response:
    """The precinct-level changes to the published results after `since` (default 0), oldest
    first, `limit` at a time (default 500, at most 2000), with a `next` cursor."""
    try:
        since = _sequence_arg("since") or 0
        limit = _sequence_arg("limit")
    except ValueError:
        return _error(400, "since and limit must be whole numbers (since 0 or more, limit 1 to 2000).")
    if limit is not None and not 1 <= limit <= results.CHANGES_MAX:
        return _error(400, f"limit must be between 1 and {results.CHANGES_MAX}.")
    try:
        data = results.changes(runtime().units, since, limit or results.CHANGES_LIMIT)
    except results.BeyondSequence:
        return _error(404, f"The results have not reached sequence {since} yet; see sequence in /api/results.")
    return _json(results.as_json(data))


@bp.get("/api/results/precincts")
def api_precincts() -> Response:
    """Per-precinct results as JSON: {"sequence", "as_of", "precincts": [rows]}."""
    rt = runtime()
    download = results.precincts_json(rt.units, rt.redis)
    resp = _json(download.body)
    resp.headers["X-Results-Sequence"] = str(download.sequence)
    return resp


@bp.get("/api/results/precincts.csv")
def api_precincts_csv() -> Response:
    """Per-precinct results as CSV; the sequence they were made at is in the `X-Results-Sequence`
    header and the file's name."""
    rt = runtime()
    download = results.precincts_csv(rt.units, rt.redis)
    resp = Response(download.body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f"attachment; filename=precinct-results-seq-{download.sequence}.csv"
    resp.headers["X-Results-Sequence"] = str(download.sequence)
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


class Cached(Protocol):
    """What a page is rendered from: a cached object whose answer's ETag names its figures."""

    @property
    def answer(self) -> results.Answer: ...


# Pages as a visitor who is not signed in sees them (the results page's body and whole page, each
# precinct's page), rendered once per cached object: the cache hands out a new object, with new
# figures, when the results change. `kind` names the page.
_rendered: dict[str, tuple[Cached, results.Answer]] = {}
_rendered_lock = threading.Lock()


def _render_once(kind: str, published: Cached, render: Callable[[], str]) -> results.Answer:
    with _rendered_lock:
        hit = _rendered.get(kind)
    if hit is not None and hit[0] is published:
        return hit[1]
    answer = results.Answer.of(render().encode(), f"{kind}:{published.answer.etag}".encode())
    with _rendered_lock:
        _rendered[kind] = (published, answer)
    return answer


def _live(published: results.Published) -> results.Answer:
    return _render_once("live", published, lambda: render_template(
        "results_live.html", data=published.data, published=published))


@bp.get("/results")
def results_page() -> Response | str:
    """The public results page: server-rendered; results.js refreshes it from /results/live."""
    rt = runtime()
    published = results.summary_published(rt.units, rt.redis)
    live = _live(published)

    def page() -> str:
        return render_template("results.html", live=Markup(live.body.decode()), etag=live.etag)

    if g.get("user") is not None:
        return page()  # staff see their own links in the header: rendered for them
    return _cached(_render_once("page", published, page), "text/html", "no-cache")


@bp.get("/results/live")
def results_live() -> Response:
    """The results page's body alone, for results.js (with an ETag: `304` until the figures change)."""
    rt = runtime()
    return _cached(_live(results.summary_published(rt.units, rt.redis)), "text/html", "no-cache")
