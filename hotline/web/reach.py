"""Reaching chairs who have not reported: the Missing page, reminder and broadcast blasts
(preview, send, cancel), and the administrators' send budget planner."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hotline.domain import send_budget
from hotline.services.console import missing_reports
from hotline.services.ops import blasts, send_plan
from hotline.web import runtime
from hotline.web.auth import admin_required, login_required, username

bp = Blueprint("reach", __name__)


def _filters(source: Any) -> missing_reports.Filters:
    stage = source.get("stage") or None
    if stage not in (None, *missing_reports.STAGES):
        stage = None
    return missing_reports.Filters(county=source.get("county") or None, stage=stage,
                                   not_reminded=source.get("not_reminded") in ("1", "on", "true"))


def _since(at: datetime | None) -> str:
    if at is None:
        return ""
    minutes = max(0, int((datetime.now(timezone.utc) - at).total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _page(f: missing_reports.Filters, preview: blasts.Preview | None = None, text: str = "",
          kind: str = "reminder", status: int = 200) -> Any:
    rt = runtime()
    view = missing_reports.show(rt.units, f)
    return render_template("console/missing_reports.html", view=view, f=f, since=_since(view.since),
                           stages=missing_reports.STAGES, preview=preview, text=text, kind=kind,
                           recent=blasts.recent(rt.units), duration=send_budget.duration), status


@bp.get("/console/missing-reports")
@login_required
def missing_page() -> Any:
    """Precincts with no report or with stages missing, by county; reminders for administrators."""
    return _page(_filters(request.args))


@bp.post("/console/blasts")
@admin_required
def blast() -> Any:
    """Preview a reminder or broadcast (action=preview), or send it (action=send)."""
    form = request.form
    f, kind, text = _filters(form), form.get("kind", "reminder"), form.get("text", "")
    busy = form.get("even_if_busy") in ("1", "on")
    try:
        if form.get("action") != "send":
            return _page(f, blasts.preview(runtime().units, kind, f, text, even_if_busy=busy), text, kind)
        sent = blasts.send(runtime().units, kind, username(), f, text, even_if_busy=busy)
    except blasts.BlastError as exc:
        flash(str(exc), "error")
        return _page(f, None, text, kind, 422)
    flash(f"Blast {sent.blast_id} sent: {sent.preview.summary()}")
    return redirect(url_for("reach.missing_page", **{k: v for k, v in f.as_dict().items()}))


@bp.post("/console/blasts/<int:blast_id>/cancel")
@admin_required
def cancel(blast_id: int) -> Response:
    """Stop a blast midway: its texts not yet sent never go out."""
    try:
        n = blasts.cancel(runtime().units, blast_id, username())
    except blasts.BlastError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Blast {blast_id} cancelled: {n} text{'' if n == 1 else 's'} will not be sent.")
    return redirect(url_for("reach.missing_page"))


def _number(name: str, kind: type) -> Any:
    value = request.args.get(name) or None
    try:
        parsed = kind(value) if value is not None else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed > 0 else None


@bp.get("/admin/plan")
@admin_required
def plan_page() -> str:
    """The send budget planner, from the live roster and settings unless told otherwise."""
    number_type = request.args.get("number_type") or None
    if number_type not in (None, *send_budget.NUMBER_TYPES):
        number_type = None
    p = send_plan.plan(runtime().units, _number("precincts", int), _number("numbers", int), _number("rate", float),
                       number_type)
    return render_template("admin/plan.html", p=p, types=send_budget.NUMBER_TYPES, d=send_budget.duration,
                           asked={k: request.args.get(k, "") for k in ("precincts", "numbers", "rate", "number_type")})
