"""The Twilio webhook edge: body size, signature, the shape of a genuine request, refusal counting.

A refused request must cost almost nothing and write nothing that grows: it is counted in Redis
(`adapters.refusals`, one round trip, fixed-size structures), noted in the process log at most
once per NOTE_EVERY seconds per route, and summarised in the verification log at most once a
minute by a duty (`services.ops.traffic`). An address whose requests keep failing the signature
check gets 429s; signed requests are never limited here (Twilio does not retry SMS webhooks, and
the per-phone allowances live in `services.sms.admission`).
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Response, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from hotline.adapters import refusals
from hotline.domain import twilio_request
from hotline.web import runtime

logger = logging.getLogger(__name__)

NOTE_EVERY = 60.0  # seconds between process-log lines about refusals on one route


def signed_url() -> str:
    """The URL Twilio signed.

    In production only PUBLIC_BASE_URL + path (+ query): the request's own URL is built from its
    Host and X-Forwarded-* headers, which whoever sends it chooses. Elsewhere PUBLIC_BASE_URL when
    set, else the request URL (local runs without a public address).
    """
    cfg = runtime().config
    base = cfg.public_base_url
    if not base:
        if cfg.production:  # Config.validate refuses this; never fall back to the Host header
            raise RuntimeError("PUBLIC_BASE_URL is required in production")
        return request.url
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _route() -> str:
    """The route's rule ("/twilio/bridge/<int:call_id>"): a few values, whatever paths are sent."""
    rule = request.url_rule
    return rule.rule if rule is not None else request.path[:100]


class _Notes:
    """One process-log line per route at most every NOTE_EVERY seconds: how many since the last."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.routes: dict[str, list[Any]] = {}  # route -> [last line at, refused since, last reason, last source]

    def note(self, route: str, reason: str, source: str) -> None:
        now = time.monotonic()
        with self.lock:
            state = self.routes.setdefault(route, [-NOTE_EVERY, 0, "", ""])
            state[1] += 1
            state[2], state[3] = reason, source
            if now - state[0] < NOTE_EVERY:
                return
            state[0], since, state[1] = now, state[1], 0
        logger.warning("refused %d request(s) to %s since the last note; the last: %s, from %s",
                       since, route, reason, source[:64])


_notes = _Notes()


def refused(reason: str, status: int, text: str, *, limited: bool = False) -> Response:
    """Count a refused request and answer it; an address over its limit gets a 429 instead.

    `limited`: the request was not signed, so it counts towards its address's per-minute limit.
    """
    rt = runtime()
    source = request.remote_addr or "unknown"
    route = _route()
    limit = rt.config.rejected_per_source_per_minute if limited else 0
    counted = refusals.refuse(rt.redis, route, reason, source, limit=limit)
    if counted is not None and counted.reason == refusals.THROTTLED:
        reason, status, text = refusals.THROTTLED, 429, "too many refused requests; slow down"
    _notes.note(route, reason, source)
    resp = Response(text, status=status, mimetype="text/plain")
    if status == 429:
        resp.headers["Retry-After"] = str(60 - int(time.time()) % 60)
    return resp


def _cut_off() -> bool:
    """Whether a body sent without Content-Length (chunked) reached the limit and was cut off there
    (Werkzeug stops reading at `max_content_length` without saying so)."""
    stream = request.stream
    return request.content_length is None and isinstance(stream, LimitedStream) and stream.is_exhausted


def _signature_refusal() -> Response | None:
    """None when the body is small enough and (unless switched off locally) correctly signed."""
    cfg = runtime().config
    # Flask 3.1: the limit for this request only, so a chunked body is cut off while it is read.
    request.max_content_length = cfg.webhook_max_bytes
    if (request.content_length or 0) > cfg.webhook_max_bytes:
        return refused(refusals.TOO_LARGE, 413, "request too large", limited=True)
    if not cfg.verify_signatures:
        return None
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:  # refused without reading the body
        return refused(refusals.MISSING, 403, "invalid signature", limited=True)
    try:
        valid = RequestValidator(cfg.twilio_auth_token).validate(signed_url(), request.form, signature)
    except RequestEntityTooLarge:
        valid = None
    if valid is None or _cut_off():
        return refused(refusals.TOO_LARGE, 413, "request too large", limited=True)
    if not valid:
        return refused(refusals.FORGED, 403, "invalid signature", limited=True)
    return None


def _shape_refusal(kind: str | None) -> Response | None:
    """None when the identifiers have Twilio's shapes and a `kind` webhook's fields are there."""
    cfg = runtime().config
    try:
        why = twilio_request.problem(request.form.getlist, kind, cfg.twilio_account_sid)
    except RequestEntityTooLarge:  # signatures switched off locally: the body is read here first
        return refused(refusals.TOO_LARGE, 413, "request too large", limited=True)
    if not cfg.verify_signatures and _cut_off():
        return refused(refusals.TOO_LARGE, 413, "request too large", limited=True)
    if why is None:
        return None
    return refused(refusals.BAD_REQUEST, 403 if why == twilio_request.WRONG_ACCOUNT else 400, why)


def twilio_webhook(kind: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A Twilio webhook of `kind` (twilio_request.SMS, STATUS, VOICE; None: only the identifiers
    present are checked): 413 when too large, 403 when unsigned or forged, 429 when its address
    keeps sending those, 400 when it is not shaped like Twilio's; all counted, none logged."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = _signature_refusal() or _shape_refusal(kind)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)
        return wrapper
    return decorate


# Any other Twilio request (the click-to-call bridge): signed, identifiers shaped as Twilio's.
twilio_signed = twilio_webhook(None)
