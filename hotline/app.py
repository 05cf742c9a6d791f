"""The Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.adapters.db import WEB
from hotline.config import Config
from hotline.runtime import Runtime, build
from hotline.web import console_app, errors, pages, public, twilio_sms, twilio_voice


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app: configuration, runtime (DB, Redis, queues), blueprints."""
    config = (runtime.config if runtime else config) or Config.from_env()
    config.validate()
    app = Flask(__name__, instance_path=str(config.instance_path))
    app.config.update(SECRET_KEY=config.secret_key, HOTLINE=config,
                      MAX_CONTENT_LENGTH=256 * 1024,  # Twilio's requests are a few KB
                      SESSION_COOKIE_SECURE=config.production, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    # Behind a TLS terminator the scheme and host Twilio signed come from the proxy headers.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]
    app.extensions["hotline"] = runtime or build(config, rank=WEB)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # Twilio's webhooks, the public pages, then the staff console and administration.
    for module in (twilio_sms, twilio_voice, pages, public):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    console_app.init_app(app)
    return app
