"""The home page, the outbox (staff only: it shows numbers and codes), health."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from redis.exceptions import RedisError
from sqlalchemy import func, select, text

from hotline.adapters.models import InboundMessage, OutboundMessage, Precinct, Report
from hotline.web import runtime
from hotline.web.auth import login_required

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """What this system is and where to look."""
    rt = runtime()
    with rt.db.transaction() as uow:
        s = uow.session
        precincts = s.scalar(select(func.count()).select_from(Precinct)) or 0
        reporting = s.scalar(select(func.count(func.distinct(Report.precinct_id)))
                             .where(Report.status == "current")) or 0
        inbound = s.scalar(select(func.count()).select_from(InboundMessage)) or 0
    return render_template("home.html", precincts=precincts, reporting=reporting, inbound=inbound,
                           twilio=rt.config.twilio_enabled)


@bp.get("/outbox")
@login_required
def outbox() -> str:
    """Outbound texts, newest first (the only place they go when no Twilio account is set)."""
    rt = runtime()
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(OutboundMessage).order_by(OutboundMessage.id.desc())
                                   .limit(200)).scalars().all()
    return render_template("outbox.html", rows=rows, twilio=rt.config.twilio_enabled)


@bp.get("/healthz")
def health() -> tuple[object, int]:
    """Database and Redis reachability, for load balancers and the drill."""
    rt = runtime()
    status: dict[str, str] = {}
    try:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        status["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        rt.redis.ping()
        status["redis"] = "ok"
    except RedisError as exc:
        status["redis"] = f"error: {exc.__class__.__name__}"
    ok = all(v == "ok" for v in status.values())
    return jsonify(status=status, ok=ok), 200 if ok else 503
