"""Twilio webhook signatures."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, request
from twilio.request_validator import RequestValidator

from hotline.services.log import audit
from hotline.services.units import Units
from hotline.web import runtime

logger = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path when set, else the (proxy-fixed) request URL."""
    base = runtime().config.public_base_url
    if not base:
        return request.url
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject (403) requests whose X-Twilio-Signature does not match, and log them."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rt = runtime()
        if rt.config.verify_signatures:
            signature = request.headers.get("X-Twilio-Signature", "")
            validator = RequestValidator(rt.config.twilio_auth_token)
            if not signature or not validator.validate(signed_url(), request.form, signature):
                logger.warning("rejected unsigned or forged request to %s from %s",
                               request.path, request.remote_addr)
                _log_rejection(rt.units, bool(signature))
                return Response("invalid signature", status=403, mimetype="text/plain")
        return view(*args, **kwargs)
    return wrapper


def _log_rejection(units: Units, had_signature: bool) -> None:
    try:
        audit.signature_rejected(units, path=request.path, phone=request.form.get("From"),
                                 remote=request.remote_addr, forged=had_signature)
    except Exception:  # a log failure must not turn a 403 into a 500
        logger.exception("could not log a rejected request")
