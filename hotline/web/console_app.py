"""Wires the staff console, administration and their safeguards (sign-in, CSRF) into the app."""
from __future__ import annotations

from flask import Flask

from hotline.web import admin, admin_log, auth, bridge, conflicts, console, console_actions, csrf, entry, phone_sim, reach


def init_app(app: Flask) -> None:
    """Register the console and admin blueprints, sign-in, CSRF checks and the call bridge."""
    csrf.init_app(app)
    auth.init_app(app)
    for module in (auth, console, console_actions, entry, conflicts, admin, admin_log, phone_sim, bridge, reach):
        app.register_blueprint(module.bp)
