"""Administrators: the observers (list, add one, remove one, upload the observers CSV)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.domain.languages import LANGUAGES
from hotline.services.ops import importing, observers
from hotline.web import runtime
from hotline.web.auth import admin_required, username

bp = Blueprint("admin_observers", __name__, url_prefix="/admin")
FIELDS = ("name", "organisation", "phones", "precincts", "pin", "language")


def _page(status: int = 200, **extra: Any) -> Any:
    return render_template("admin/observers.html", observers=observers.everyone(runtime().units),
                           columns=observers.ALL_COLUMNS, languages=LANGUAGES,
                           form=extra.pop("form", {}), **extra), status


@bp.get("/observers")
@admin_required
def observers_page() -> Any:
    """Every observer with their phones, precincts and confirmed observations."""
    return _page()


@bp.post("/observers")
@admin_required
def observer_add() -> Any:
    """Add one observer; on a problem the form comes back filled in, with the problem."""
    form = {k: request.form.get(k, "").strip() for k in FIELDS}
    try:
        added = observers.add(runtime().units, form["name"], form["organisation"], form["phones"],
                              form["precincts"], pin=form["pin"], language=form["language"], actor=username())
    except observers.ObserverError as exc:
        form.pop("pin")  # never echoed back into the page
        return _page(422, form=form, add_error=str(exc))
    flash(f"Observer {added.name} ({added.organisation}) added.")
    return redirect(url_for("admin_observers.observers_page"))


@bp.post("/observers/<int:observer_id>/remove")
@admin_required
def observer_remove(observer_id: int) -> Any:
    """Remove an observer who has sent nothing; refused with a sentence otherwise."""
    try:
        label = observers.remove(runtime().units, observer_id, actor=username())
    except observers.ObserverError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Observer {label} removed.")
    return redirect(url_for("admin_observers.observers_page"))


@bp.post("/observers/import")
@admin_required
def observers_import() -> Any:
    """Upload the observers CSV (also offered on the imports page): every row valid, or nothing imported."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV file to upload.", "error")
        return redirect(url_for("admin_observers.observers_page"))
    text = upload.read().decode("utf-8-sig", errors="replace")
    try:
        n = observers.load(runtime().units, text, actor=username())
    except importing.ImportError_ as exc:
        return _page(422, errors=exc.errors, filename=upload.filename)
    flash(f"Imported {n} observer{'' if n == 1 else 's'} from {upload.filename}.")
    return redirect(url_for("admin_observers.observers_page"))
