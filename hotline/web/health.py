"""/healthz (alive), /readyz (database, Redis, schema), /metrics (Prometheus), and the two per-request
hooks behind them: the webhook latency histogram and the request id the logs carry."""
from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, jsonify, request

from hotline.adapters import log_format, metrics
from hotline.services.console import accounts
from hotline.services.ops import health as health_check
from hotline.services.ops import operations
from hotline.web import runtime

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

# Webhooks timed for hotline_webhook_seconds: Twilio's SMS, status and voice callbacks.
WEBHOOK_BLUEPRINTS = {"twilio_sms": "sms", "twilio_voice": "voice", "bridge": "bridge"}
_STARTED = "hotline.started"  # in the WSGI environ: when this request began
_TOKEN = "hotline.request_id"  # ... and the request id token to reset when it ends


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers. No database, no Redis (that is /readyz)."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready for traffic: the database and Redis answer and the schema is at the migrations' head.
    Only "ok" or "failed" per check: the detail is for the logs, not for whoever asks."""
    rt = runtime()
    found = health_check.check(rt.units, rt.redis)
    status = {name: "ok" if value == "ok" else "failed" for name, value in found.items()}
    status["migrations"] = "failed"
    if status.get("database") == "ok":
        try:
            status["migrations"] = "ok" if operations.migrations_at_head(rt.units) else "failed"
        except Exception as exc:  # noqa: BLE001 - e.g. no alembic_version table: not ready
            logger.warning("readyz: the schema version could not be read: %s", exc)
    ok = all(v == "ok" for v in status.values())
    return jsonify(status), 200 if ok else 503


@bp.get("/metrics")
def metrics_page() -> Response:
    """Prometheus' text format, for a signed-in administrator or a bearer token (HOTLINE_METRICS_TOKEN)."""
    _allow_metrics()
    collector = _scraped()
    return Response(metrics.exposition(collector), content_type=metrics.CONTENT_TYPE)


def _allow_metrics() -> None:
    """A bearer token, or an administrator's session; otherwise 401 (a wrong token) or 404."""
    header = request.headers.get("Authorization", "")
    if header:
        expected = runtime().config.metrics_token
        sent = header.removeprefix("Bearer ").strip()
        if header.startswith("Bearer ") and expected and hmac.compare_digest(sent.encode(), expected.encode()):
            return
        abort(Response("Unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                       mimetype="text/plain"))
    user = g.get("user")
    if user is None or not accounts.is_admin(user):
        abort(404)  # what it reveals is operational detail: to others it is not there


def _scraped() -> metrics.Scraped:
    """This process's collector of figures read at scrape time (cached for a few seconds)."""
    found = current_app.extensions.get("hotline_scraped")
    if found is None:
        rt = runtime()
        found = current_app.extensions["hotline_scraped"] = metrics.Scraped(
            lambda: gauges(operations.figures(rt.units, rt.redis)))
    return found


def gauges(f: operations.Figures) -> Iterable[metrics.Gauge]:
    """The figures as Prometheus gauges."""
    yield metrics.Gauge("hotline_texts_waiting", "Texts received and not yet handled", f.texts_waiting)
    if f.oldest_waiting_seconds is not None:
        yield metrics.Gauge("hotline_oldest_waiting_text_seconds", "Age of the oldest unhandled text",
                            f.oldest_waiting_seconds)
    yield metrics.Gauge("hotline_precincts", "Precincts on the roster", f.precincts)
    yield metrics.Gauge("hotline_precincts_reporting", "Precincts with counting results", f.precincts_reporting)
    yield metrics.Gauge("hotline_reports", "Reports (submissions) by state", f.reports_by_state, "state")
    yield metrics.Gauge("hotline_reports_confirmed_recently", "Reports confirmed in the last 5 minutes",
                        f.confirmed_recently)
    if f.checkpoint_age_seconds is not None:
        yield metrics.Gauge("hotline_log_checkpoint_age_seconds", "Seconds since the latest signed checkpoint",
                            f.checkpoint_age_seconds)
    if f.queue_depths is not None:
        yield metrics.Gauge("hotline_queue_depth", "Jobs waiting in each RQ queue", f.queue_depths, "queue")
    if f.failed_jobs is not None:
        yield metrics.Gauge("hotline_failed_jobs", "Jobs in each queue's failed registry", f.failed_jobs, "queue")


# --- Per-request hooks -------------------------------------------------------------------------

def _webhook_sid() -> str | None:
    """The Twilio sid of the webhook being answered, once its form has been read (never parses it:
    an oversized or forged request is refused before its body is read)."""
    if not has_request_context():
        return None
    form = request.__dict__.get("form")  # werkzeug caches the parsed form here
    if form is None:
        return None
    return form.get("MessageSid") or form.get("CallSid") or None


def _request_id() -> str | None:
    """The id a request's log lines carry: the webhook's Twilio sid, else a new uuid."""
    if not has_request_context():
        return None
    return _webhook_sid() or uuid.uuid4().hex


def _start() -> None:
    request.environ[_STARTED] = time.perf_counter()
    request.environ[_TOKEN] = log_format.bind(None)


def _finish(_exc: BaseException | None) -> None:
    started = request.environ.get(_STARTED)
    endpoint = request.endpoint or ""
    blueprint, _, view = endpoint.partition(".")
    if started is not None and blueprint in WEBHOOK_BLUEPRINTS:
        seconds = time.perf_counter() - started
        metrics.webhook_answered(f"{WEBHOOK_BLUEPRINTS[blueprint]}.{view}", seconds)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("webhook %s answered in %.1f ms", endpoint, seconds * 1000)
    token = request.environ.pop(_TOKEN, None)
    if token is not None:
        log_format.reset(token)


def init_app(app: Flask) -> None:
    """Register the routes and the hooks (first of all hooks: the time includes the others')."""
    log_format.set_fallback(_request_id)
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.teardown_request(_finish)
    app.register_blueprint(bp)
