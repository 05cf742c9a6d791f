"""Thin HTTP layer: validate, store, enqueue, answer."""
from __future__ import annotations

from flask import current_app

from hotline.runtime import Runtime


def runtime() -> Runtime:
    """The runtime the app factory built."""
    return current_app.extensions["hotline"]
