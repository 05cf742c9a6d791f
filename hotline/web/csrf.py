"""CSRF protection: a per-session token in every form, checked on every non-Twilio POST."""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
# Twilio cannot send our token; its webhooks are authenticated by their signature instead.
EXEMPT_PREFIXES = ("/twilio/",)


def token() -> str:
    """This session's token (created on first use), for a hidden form field."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def rotate() -> None:
    """A fresh token, e.g. at sign-in, so a token seen before sign-in is useless after it."""
    session[FIELD] = secrets.token_urlsafe(32)


def _check() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith(EXEMPT_PREFIXES):
        return
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    expected = session.get(FIELD, "")
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, then a 500).
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="This form has expired or came from another site. "
                               "Go back, reload the page and try again.")


def init_app(app: Flask) -> None:
    """Check tokens before every request and offer `csrf_token()` to templates."""
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = token
