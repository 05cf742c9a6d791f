"""Texts that ask rather than report: CANCEL, STATUS, DONE and CALL."""
from __future__ import annotations


from sqlalchemy import or_, select

from hotline.adapters.models import Submission, utcnow
from hotline.domain import replies
from hotline.domain.model import Stage
from hotline.services.log import chain as vlog
from hotline.services.sms.context import Ctx
from hotline.services.records import backlog, checking, reports



def cancel(ctx: Ctx) -> str:
    """CANCEL: drop this phone's unconfirmed reports."""
    s = ctx.uow.session
    subs = list(s.execute(select(Submission).where(
        or_(Submission.sender == ctx.phone, Submission.confirm_phone == ctx.phone),
        Submission.status == reports.AWAITING)).scalars())
    if not subs:
        ctx.reply(replies.NOTHING_TO_CANCEL, "nothing_to_cancel")
        return "nothing_to_cancel"
    for sub in subs:
        reports.void(sub, "cancelled")
        vlog.record(s, "report_cancelled", precinct=sub.precinct.code, phone=ctx.phone,
                    submission_id=sub.id)
    codes = ", ".join(sorted({sub.precinct.code for sub in subs}))
    ctx.reply(replies.CANCELLED.format(code=codes), "cancelled")
    return "cancelled"


def status(ctx: Ctx) -> str:
    """STATUS: what is recorded (and waiting) for this phone's precincts."""
    s = ctx.uow.session
    if not ctx.registered:
        ctx.reply(replies.UNREGISTERED, "unregistered", priority=1)
        return "status_unregistered"
    texts = []
    for precinct in ctx.registered:
        current = reports.current_reports(s, precinct.id)
        lines = []
        for stage in Stage:
            rep = current.get(stage)
            lines.append(f"{stage.label}: {replies.format_counts(rep.counts)}." if rep
                         else f"{stage.label}: not yet.")
        waiting = reports.pending_count(s, ctx.phone, precinct.id)
        if waiting:
            lines.append(f"{waiting} report(s) waiting for your YES code.")
        texts.append(replies.status(precinct.code, lines))
    ctx.reply("\n".join(texts), "status", priority=1)
    return "status"


def done(ctx: Ctx) -> str:
    """DONE: the chair says the report is complete; check that all three stages are in."""
    s = ctx.uow.session
    if not ctx.registered:
        ctx.reply(replies.UNREGISTERED, "unregistered", priority=1)
        return "done_unregistered"
    parts = []
    for precinct in ctx.registered:
        precinct.chair_done_at = utcnow()
        missing = reports.missing_stages(s, precinct.id)
        findings = checking.current(s, precinct)
        vlog.record(s, "chair_done", precinct=precinct.code, phone=ctx.phone,
                    missing=[m.value for m in missing], findings=[f.code for f in findings])
        waiting = [p for p in reports.pending_for_phone(s, ctx.phone) if p.precinct_id == precinct.id]
        if waiting:
            parts.append(f"{precinct.code}: a read-back is still waiting for your YES and its code.")
        if missing:
            parts.append(f"{precinct.code} is missing: {', '.join(m.label.lower() for m in missing)}. "
                         "Please send it.")
        else:
            parts.append(f"{precinct.code}: all three stages are recorded. Thank you!")
    ctx.reply(" ".join(parts), "done", priority=1)
    return "done"


def call_me(ctx: Ctx) -> str:
    """CALL: the chair wants a person; a call-back item goes to the top of the staff queue."""
    s = ctx.uow.session
    precinct = ctx.registered[0] if len(ctx.registered) == 1 else None
    backlog.open_item(s, "callback_request", phone=ctx.phone, precinct_id=precinct.id if precinct else None,
                      dedupe_key=f"callme:{ctx.phone}", priority=None if ctx.registered else 2,
                      summary=f"{'Chair of ' + precinct.code if precinct else 'Caller'} {ctx.phone} "
                              "asked by text for a call back")
    vlog.record(s, "callback_requested", precinct=precinct.code if precinct else None, phone=ctx.phone,
                channel="sms")
    ctx.reply(replies.CALL_BACK.format(tail=ctx.phone[-4:]), "call_back", priority=0 if ctx.registered else 1)
    return "call_back"
