"""Requests per address per minute (Flask-Limiter on the runtime's Redis): the sign-in form and
the public pages and API. Twilio's webhooks are not limited here (they have their own guards).

The address is `request.remote_addr`, which is the client's own only when the app factory's
proxy decision (HOTLINE_TRUSTED_PROXIES) is right for the deployment. Over a limit: 429 with
Retry-After and a plain sentence (JSON under /api/). If Redis cannot be reached the limits fail
open: the request is served and one line is logged.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.strategies import SlidingWindowCounterRateLimiter

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
    app.extensions["hotline_limiter"] = limiter
    public_limit = app.extensions["hotline_public_limit"] = _PublicLimit(limiter)
    _only_where_limited(app, limiter, frozenset({auth.bp.name}), frozenset({pages.bp.name, public.bp.name}),
                        public_limit)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Response:
        return too_many_requests(_retry_after(limiter))

    return limiter


def _only_where_limited(app: Flask, limiter: Limiter, blueprints: frozenset[str], public_blueprints: frozenset[str],
                        public_check: Callable[[], Response | None]) -> None:
    """Run Flask-Limiter's per-request check only for `blueprints`, and the public limit's own
    check (`public_check`) only for `public_blueprints`.

    Left to itself Flask-Limiter resolves the limits of every request; on a Twilio webhook (never
    limited here) that was about 0.1 ms of the chairs' busiest path, some 5% of it, for nothing.
    Its check is swapped, in place (the hooks' order matters), for one that first looks at the
    blueprint.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit  # what Limiter.init_app registered

    def check_limited_blueprints() -> Response | None:
        blueprint = request.blueprint
        if blueprint in public_blueprints:
            return public_check()
        if blueprint in blueprints:
            check()
        return None

    hooks[hooks.index(check)] = check_limited_blueprints


class _PublicLimit:
    """The public pages' and API's shared limit per address: Flask-Limiter's keys, strategy
    (sliding-window counter) and Redis storage, counted in batches.

    Checking each request at Redis was the largest cost of a cached answer (a round trip per
    request: about half of a `304` to `/api/results`, profiled), and Flask-Limiter's general check
    resolved and filtered the limits of each request first (as much time again). Here each process
    lets an address through up to `limit // LOCAL_SHARE` times (30 of 600 a minute) before it
    asks Redis, and reports what it let through every `REPORT_EVERY` seconds, every address in one
    pipelined round trip. An address that Redis refuses once (over its limit, counting what was
    reported) is checked at Redis on every request for `STRICT_FOR` seconds, as before. So the
    limit holds, up to `limit // LOCAL_SHARE` more per web process (one batch each), and counts
    reach Redis up to REPORT_EVERY late. Limits under LOCAL_SHARE a minute are checked exactly.
    Over the limit: the 429 answer. Redis down: one log line, the request is served (fail open).
    """

    LOCAL_SHARE = 20
    REPORT_EVERY = 0.5
    STRICT_FOR = 60.0

    def __init__(self, limiter: Limiter, clock: Callable[[], float] = time.monotonic) -> None:
        self._limiter = limiter
        self._items: dict[str, RateLimitItem] = {}
        self._prefix = limiter._key_prefix
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}   # address -> requests let through, not yet counted in Redis
        self._strict: dict[str, float] = {}  # address -> until when each of its requests is checked at Redis
        self._reported = clock()

    def _identifiers(self, address: str) -> tuple[str, ...]:
        return (self._prefix, address, PUBLIC_SCOPE) if self._prefix else (address, PUBLIC_SCOPE)

    def __call__(self) -> Response | None:
        text = _public_limit()
        item = self._items.get(text)
        if item is None:
            item = self._items[text] = parse(text)
        address, now = _address(), self._clock()
        budget = item.amount // self.LOCAL_SHARE
        with self._lock:
            pending = self._pending.get(address, 0)
            if budget > 0 and pending < budget and self._strict.get(address, 0.0) <= now:
                self._pending[address] = pending + 1
                if now - self._reported < self.REPORT_EVERY:
                    return None  # let through; counted at the next report
                batch, self._pending, self._reported = list(self._pending.items()), {}, now
                self._strict = {a: until for a, until in self._strict.items() if until > now}
                exact = False
            else:  # this address's share is used up, or it was refused lately: ask Redis now
                batch = [(address, self._pending.pop(address))] if pending else []
                batch.append((address, 1))
                exact = True
        try:
            granted = self._acquire(item, batch)
        except Exception:  # noqa: BLE001 - fail open, as Flask-Limiter's check does (swallow_errors)
            logging.getLogger("flask-limiter").exception("Failed to rate limit. Swallowing error")
            return None
        refused = [a for (a, _), ok in zip(batch, granted) if not ok]
        if refused:
            with self._lock:
                self._strict.update((a, now + self.STRICT_FOR) for a in refused)
        if not exact or granted[-1]:
            return None
        try:
            stats = self._limiter.limiter.get_window_stats(item, *self._identifiers(address))
            wait = max(1, int(stats.reset_time - time.time()))
        except Exception:  # noqa: BLE001 - the storage went away between the check and now
            wait = 60
        return too_many_requests(wait)

    def _acquire(self, item: RateLimitItem, batch: list[tuple[str, int]]) -> list[bool]:
        """Count `amount` requests of each address (in order), each all or nothing: whether each
        fitted under the limit. One pipelined round trip on Redis."""
        strategy = self._limiter.limiter
        storage = strategy.storage
        script = getattr(storage, "lua_acquire_sliding_window", None)
        if script is None or not isinstance(strategy, SlidingWindowCounterRateLimiter):
            return [strategy.hit(item, *self._identifiers(a), cost=n) for a, n in batch]  # other storages
        pipe = storage.get_connection().pipeline(transaction=False)
        for a, n in batch:  # as RedisStorage.acquire_sliding_window_entry does, one after another
            key = item.key_for(*self._identifiers(a))
            script([storage.prefixed_key(storage._previous_window_key(key)),
                    storage.prefixed_key(storage._current_window_key(key))],
                   [item.amount, item.get_expiry(), n], client=pipe)
        return [bool(r) for r in pipe.execute()]


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
