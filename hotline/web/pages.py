"""The home page and the outbox (staff only: it shows numbers and codes); health is in health.py."""
from __future__ import annotations

from flask import Blueprint, render_template

from hotline.services.console import board, history
from hotline.services.results import public as results
from hotline.web import runtime
from hotline.web.auth import login_required

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """What this system is and where to look."""
    rt = runtime()
    figures = board.headline(rt.units)
    published = results.summary_published(rt.units, rt.redis).data  # the same count as /results
    return render_template("home.html", reporting=published["precincts_reporting"],
                           precincts=published["precincts_total"], recorded=figures.reporting,
                           inbound=figures.texts, twilio=rt.config.twilio_enabled)


@bp.get("/outbox")
@login_required
def outbox() -> str:
    """Outbound texts, newest first (the only place they go when no Twilio account is set)."""
    rt = runtime()
    return render_template("outbox.html", rows=history.outbox(rt.units), twilio=rt.config.twilio_enabled)
