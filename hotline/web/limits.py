"""Requests per address per minute (Flask-Limiter on the runtime's Redis): the sign-in form and
the public pages and API. Twilio's webhooks are not limited here (they have their own guards).

The address is `request.remote_addr`, which is the client's own only when the app factory's
proxy decision (HOTLINE_TRUSTED_PROXIES) is right for the deployment. Over a limit: 429 with
Retry-After and a plain sentence (JSON under /api/). If Redis cannot be reached the limits fail
open: the request is served and one line is logged.
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from hotline.adapters import refusals
from hotline.web import auth, pages, public, runtime

logger = logging.getLogger(__name__)

PUBLIC_SCOPE = "public"  # one count per address across the public pages and API


class _OneLine(logging.Filter):
    """Flask-Limiter logs a traceback for each request it could not count (Redis down); one line
    saying the limits failed open is enough, and readable when it repeats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {error!r}; rate limits not applied (failing open)"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def _address() -> str:
    """Whom a limit counts: the client's address, IPv6 by its /64 (one subscriber's block: rotating
    through it must not buy a fresh allowance per address)."""
    return refusals.limited_as(get_remote_address())


def _public_limit() -> str:
    return f"{runtime().config.public_requests_per_minute}/minute"


def _login_limit() -> str:
    return f"{runtime().config.login_requests_per_minute}/minute"


def init_app(app: Flask) -> Limiter:
    """Set up the limiter on `app` and its 429 answer (call it before the console's hooks: a request
    over its limit then stops before any of them runs)."""
    rt = app.extensions["hotline"]
    # The runtime's connection pool: its short timeouts and fail-fast connects keep a dead Redis
    # from holding up requests; the URI only picks the storage type.
    limiter = Limiter(_address, app=app, storage_uri="redis://",
                      storage_options={"connection_pool": rt.redis.connection_pool},
                      strategy="sliding-window-counter", key_prefix="hotline-limits",
                      swallow_errors=True, headers_enabled=False)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, _OneLine) for f in limiter_log.filters):
        limiter_log.addFilter(_OneLine())
    # As a blueprint limit (checked before any other hook, CSRF included), for the form's POST only.
    limiter.limit(_login_limit, methods=["POST"],
                  exempt_when=lambda: request.endpoint != "auth.login")(auth.bp)
    for bp in (pages.bp, public.bp):
        limiter.shared_limit(_public_limit, scope=PUBLIC_SCOPE)(bp)
    app.extensions["hotline_limiter"] = limiter
    _only_where_limited(app, limiter, frozenset(bp.name for bp in (auth.bp, pages.bp, public.bp)))

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Response:
        return too_many_requests(_retry_after(limiter))

    return limiter


def _only_where_limited(app: Flask, limiter: Limiter, blueprints: frozenset[str]) -> None:
    """Run Flask-Limiter's per-request check only for `blueprints`.

    Left to itself it resolves the limits of every request; on a Twilio webhook (never limited
    here) that was about 0.1 ms of the chairs' busiest path, some 5% of it, for nothing. Its check
    is swapped, in place (the hooks' order matters), for one that first looks at the blueprint.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit  # what Limiter.init_app registered

    def check_limited_blueprints() -> None:
        if request.blueprint in blueprints:
            check()

    hooks[hooks.index(check)] = check_limited_blueprints


def _retry_after(limiter: Limiter) -> int:
    """Seconds until the breached limit lets this address in again (at least 1)."""
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - the storage went away between the check and now
        logger.warning("could not read when the rate limit resets; answering 60 seconds")
    return 60


def count_refusal(reason: str) -> None:
    """Count a refused request by its route's rule (few fields), reason and address (never raises)."""
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    refusals.count(runtime().redis, rule, reason, request.remote_addr)


def too_many_requests(wait: int) -> Response:
    """The 429 answer: plain words (JSON for the API) and Retry-After."""
    message = f"Too many requests from your address; try again in {wait} seconds."
    count_refusal(refusals.THROTTLED)
    if request.path.startswith("/api/"):
        resp = jsonify(error=message, retry_after=wait)
    else:
        resp = Response(message, mimetype="text/plain")
    resp.status_code = 429
    resp.headers["Retry-After"] = str(wait)
    return resp
