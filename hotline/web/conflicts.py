"""Settling a source conflict from the console (the panel is on the item and precinct pages)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hotline.services.console import conflicts
from hotline.services.console.views import UnknownPrecinct
from hotline.web import runtime
from hotline.web.auth import login_required, username

bp = Blueprint("conflicts", __name__, url_prefix="/console")


@bp.post("/precincts/<code>/sources/confirm-chair")
@login_required
def confirm_chair(code: str) -> Response:
    """Confirm the chair's figures against an observer's differing counts, with a note."""
    try:
        flash(conflicts.confirm_chair(runtime().units, code, username(), request.form.get("note", "")))
    except UnknownPrecinct:
        flash(f"There is no precinct {code.upper()}.", "error")
    except (ValueError, conflicts.NotInConflict) as exc:
        flash(str(exc), "error")
    back = request.form.get("next") or ""
    if back.startswith("/console/") and not back.startswith("//"):
        return redirect(back + "#sources")
    return redirect(url_for("entry.precinct", code=code.upper()) + "#sources")
