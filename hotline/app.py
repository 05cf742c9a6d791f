"""The Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.adapters import log_format
from hotline.adapters.db import WEB
from hotline.config import Config
from hotline.runtime import Runtime, build
from hotline.web import (admin_observers, console_app, errors, health, limits, operations, pages, precinct_pages,
                         public, twilio_sms, twilio_voice)

logger = logging.getLogger(__name__)

# Sent with every answer (pages, errors, static files, TwiML): no inline script or style (the
# templates have none; console.js is a static file), no framing, forms post only here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app: configuration, runtime (DB, Redis, queues), blueprints."""
    config = (runtime.config if runtime else config) or Config.from_env()
    config.validate()
    app = Flask(__name__, instance_path=str(config.instance_path))
    app.config.update(SECRET_KEY=config.secret_key, HOTLINE=config,
                      MAX_CONTENT_LENGTH=256 * 1024,  # Twilio's requests are a few KB
                      SESSION_COOKIE_SECURE=config.production, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    app.extensions["hotline"] = runtime or build(config, rank=WEB)
    log_format.configure(config.log_format)  # HOTLINE_LOG_FORMAT: text, or one JSON object per line
    # Behind a TLS terminator the scheme, host and client address come from the proxy headers, but
    # only from as many proxies as are trusted: otherwise any client could name its own address
    # (and walk past the per-address sign-in lock-out and rate limits).
    if config.trusted_proxies > 0:
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]
    elif config.production:
        logger.info("HOTLINE_TRUSTED_PROXIES is 0: X-Forwarded-* headers are ignored; behind a "
                    "proxy every client would share the proxy's address for lock-outs and rate limits")

    # Twilio's webhooks, the public pages, then the staff console and administration.
    assert precinct_pages.bp is public.bp  # the precinct pages are public routes, imported above
    for module in (twilio_sms, twilio_voice, pages, public):
        app.register_blueprint(module.bp)
    health.init_app(app)  # /healthz, /readyz, /metrics; its hooks first: webhook timing, request ids
    limits.init_app(app)  # before the console's hooks: a request over its limit stops here
    errors.init_app(app)
    console_app.init_app(app)
    app.register_blueprint(operations.bp)  # the administrators' Operations page
    app.register_blueprint(admin_observers.bp)  # the administrators' Observers page
    app.after_request(_security_headers)
    return app
