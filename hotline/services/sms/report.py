"""A chair's report text: assemble split parts, authorise the sender, issue the read-back."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy import or_, select

from hotline.domain import replies, verification
from hotline.domain.parsing import Report, parse_message
from hotline.domain.texts import join_bodies, redact
from hotline.adapters.models import InboundMessage, Precinct, Submission
from hotline.services.records import backlog, checking, limits, outbox, reports, roster
from hotline.services.log import chain as vlog
from hotline.services.sms.context import Ctx



def report(ctx: Ctx, parsed: Report, fragments: Callable[[], list[InboundMessage]]) -> str:
    """Handle a text that is (part of) a report; `fragments` finds earlier parts it may continue."""
    assembled = False
    has_numbers = any(ch.isdigit() for ch in ctx.msg.body or "")
    if not parsed.sections and not has_numbers and reports.pending_for_phone(ctx.uow.session, ctx.phone):
        return _chatter(ctx)  # "got it, thanks" must not replace the read-back waiting for YES
    # Only a text with numbers in it can be the rest of a split report.
    earlier = [] if _complete(parsed) or not has_numbers else fragments()
    if earlier:
        combined = parse_message(join_bodies([m.body for m in earlier] + [ctx.msg.body]),
                                 ctx.candidates, known_precincts=ctx.codes)
        if isinstance(combined, Report) and (_complete(combined) or not parsed.sections):
            parsed, assembled = combined, True
    target = _authorise(ctx, parsed)
    if isinstance(target, str):
        return target
    precinct, confirm_phone, code_kind = target
    problems = list(parsed.errors) or _stage_problems(parsed)
    if problems:
        return _parse_error(ctx, problems, precinct)
    sections = [(sec.stage, sec.counts) for sec in parsed.sections]
    draft = reports.Draft(precinct=precinct, sections=sections, attendance=parsed.attendance,
                          source="sms", sender=ctx.phone, confirm_phone=confirm_phone,
                          body=ctx.msg.body, photo_urls=tuple(ctx.msg.media_urls or ()))
    cfg = ctx.rt.config
    same = reports.same_pending(ctx.uow.session, draft, ctx.now, cfg.code_max_attempts, cfg.code_ttl_seconds)
    if same is not None:
        outcome = _repeated(ctx, same, precinct)
        if outcome:
            return outcome
    issued = reports.issue(ctx.uow, ctx.rt, draft, code_kind)
    ctx.submission_id = issued.submission.id
    backlog.auto_resolve(ctx.uow.session, f"unparsed:{ctx.phone}", "the chair sent a readable report")
    if code_kind == "callback":
        ctx.reply(replies.callback_code_request(precinct.code, verification.phone_tail(ctx.phone),
                                                sections, issued.code),
                  "callback_code", to=confirm_phone, precinct=precinct)
        ctx.reply(replies.callback_code_sent(precinct.code, verification.phone_tail(confirm_phone)),
                  "callback_notice", precinct=precinct)
        return "callback_code_sent"
    ctx.reply(replies.readback(precinct.code, sections, parsed.attendance, issued.code,
                               warning=checking.chair_warning(issued.findings), updated=assembled),
              "readback", precinct=precinct)
    return "readback"


READBACK_KINDS = ("readback", "callback_code", "callback_notice")


def _repeated(ctx: Ctx, sub: Submission, precinct: Precinct) -> str | None:
    """The same report again while its read-back waits for YES: that read-back again, same code.

    Chairs resend when an answer is slow. A new code would make the read-back already on its
    way useless: its YES would be refused as replaced. One not yet sent is not copied.
    """
    s = ctx.uow.session
    earlier = outbox.latest_by_kind(s, sub.sender, sub.id, READBACK_KINDS)
    if not earlier:
        return None  # nothing to repeat: issue a fresh read-back
    ctx.submission_id = sub.id
    waiting = [row for row in earlier if outbox.on_its_way(row)]
    resent = [row for row in earlier if row not in waiting]
    for row in resent:
        ctx.reply(row.body, row.kind, to=row.to_number, priority=row.priority, precinct=precinct)
    vlog.record(s, "report_repeated", precinct=precinct.code, phone=ctx.phone, submission_id=sub.id,
                resent=[row.kind for row in resent], waiting=[row.kind for row in waiting])
    return "readback_resent" if resent else "readback_on_its_way"


def _chatter(ctx: Ctx) -> str:
    ctx.reply(replies.CHATTER_PENDING, "chatter")
    backlog.open_item(ctx.uow.session, "unparsed_text", phone=ctx.phone, dedupe_key=f"unparsed:{ctx.phone}",
                      summary=f"Message from {ctx.phone} while a read-back waits: {redact(ctx.msg.body)[:80]}",
                      detail={"body": redact(ctx.msg.body)})
    return "chatter"


def _complete(parsed: Report) -> bool:
    return parsed.ok and all(sec.stage is not None for sec in parsed.sections)


def _stage_problems(parsed: Report) -> list[str]:
    if not parsed.sections or not any(sec.counts for sec in parsed.sections):
        return ["I found no numbers."]
    if any(sec.stage is None for sec in parsed.sections):
        return [replies.NEED_STAGE]
    return []


def _parse_error(ctx: Ctx, problems: list[str], precinct: Precinct | None) -> str:
    ctx.reply(replies.parse_problems(problems), "parse_error", precinct=precinct)
    vlog.record(ctx.uow.session, "sms_unparsed", precinct=precinct.code if precinct else None,
                phone=ctx.phone, problems=problems)
    backlog.open_item(ctx.uow.session, "unparsed_text", phone=ctx.phone,
                      precinct_id=precinct.id if precinct else None,
                      dedupe_key=f"unparsed:{ctx.phone}",
                      summary=f"Text not understood from {ctx.phone}: {problems[0]}",
                      detail={"body": redact(ctx.msg.body), "problems": problems})
    return "parse_error"


Target = tuple[Precinct, str, str]


def _authorise(ctx: Ctx, parsed: Report) -> Target | str:
    """Which precinct, which phone must confirm, and with what kind of code; or an outcome."""
    s = ctx.uow.session
    if parsed.precinct:
        precinct = roster.precinct_by_code(s, parsed.precinct)
        if precinct is None:
            ctx.reply(f"I don't know precinct {parsed.precinct}. Check the code on your worksheet.",
                      "unknown_precinct")
            return "unknown_precinct"
        if precinct in ctx.registered:
            return precinct, ctx.phone, "readback"
        return _with_pin(ctx, precinct, parsed.pin)
    if len(ctx.registered) == 1:
        return ctx.registered[0], ctx.phone, "readback"
    if ctx.registered:
        codes = [p.code for p in ctx.registered]
        ctx.reply(replies.WHICH_PRECINCT.format(codes=", ".join(codes), first=codes[0]), "which_precinct")
        return "which_precinct"
    return _unknown_sender(ctx)


def _unknown_sender(ctx: Ctx) -> str:
    s = ctx.uow.session
    backlog.open_item(s, "unknown_sender", phone=ctx.phone, dedupe_key=backlog.unknown_sender_key(ctx.phone),
                      summary=f"Texts from unregistered number {ctx.phone}",
                      detail={"body": redact(ctx.msg.body)})
    vlog.record(s, "sender_unknown", phone=ctx.phone)
    # Pranksters get a few answers an hour, not one per text.
    if limits.allow(s, f"reply:unknown:{ctx.phone}", limit=ctx.rt.config.unknown_sender_replies_per_hour,
                    window_seconds=3600):
        ctx.reply(replies.UNREGISTERED, "unregistered", priority=1)
    return "unknown_sender"


def _with_pin(ctx: Ctx, precinct: Precinct, pin: str | None) -> Target | str:
    s, cfg = ctx.uow.session, ctx.rt.config
    if not pin:
        ctx.reply(replies.NOT_YOUR_PRECINCT.format(code=precinct.code), "pin_needed", priority=1)
        vlog.record(s, "sender_mismatch", precinct=precinct.code, phone=ctx.phone)
        return "pin_needed"
    keys = (f"pin:precinct:{precinct.code}", f"pin:phone:{ctx.phone}")
    minutes = cfg.pin_lockout_seconds // 60
    if any(limits.locked_until(s, k) for k in keys):
        ctx.reply(replies.PIN_LOCKED.format(code=precinct.code, minutes=minutes), "pin_locked")
        return "pin_locked"
    if precinct.chair is None or not verification.check_pin(pin, precinct.chair.pin_hash):
        return _wrong_pin(ctx, precinct, keys)
    phones = roster.registered_phones(s, precinct)
    vlog.record(s, "pin_checked", precinct=precinct.code, phone=ctx.phone, ok=True)
    if not phones:
        backlog.open_item(s, "unknown_sender", precinct_id=precinct.id, phone=ctx.phone,
                          summary=f"{precinct.code} has no registered phone; report came from {ctx.phone}",
                          detail={"body": redact(ctx.msg.body)})
        ctx.reply("PIN accepted, but this precinct has no registered phone. Hotline staff will call you.",
                  "no_registered_phone", precinct=precinct)
        return "no_registered_phone"
    return precinct, phones[0], "callback"


def _wrong_pin(ctx: Ctx, precinct: Precinct, keys: tuple[str, ...]) -> str:
    s, cfg = ctx.uow.session, ctx.rt.config
    tallies = [limits.hit(s, k, limit=cfg.pin_max_failures, window_seconds=cfg.pin_lockout_seconds,
                          lock_seconds=cfg.pin_lockout_seconds) for k in keys]
    vlog.record(s, "pin_checked", precinct=precinct.code, phone=ctx.phone, ok=False)
    if any(t.locked_until for t in tallies):
        backlog.open_item(s, "pin_lockout", precinct_id=precinct.id, phone=ctx.phone,
                          dedupe_key=f"pinlock:{precinct.code}",
                          summary=f"{precinct.code}: PIN entry locked after wrong PINs from {ctx.phone}")
        ctx.reply(replies.PIN_LOCKED.format(code=precinct.code, minutes=cfg.pin_lockout_seconds // 60),
                  "pin_locked")
        return "pin_locked"
    left = cfg.pin_max_failures - max(t.count for t in tallies)
    ctx.reply(replies.WRONG_PIN.format(code=precinct.code, left=replies.tries(left)), "wrong_pin")
    return "wrong_pin"


def photo_only(ctx: Ctx) -> str:
    """An MMS with only a picture: keep it with this phone's latest report."""
    s = ctx.uow.session
    since = ctx.now - timedelta(hours=2)
    sub = s.execute(select(Submission).where(
        or_(Submission.sender == ctx.phone, Submission.confirm_phone == ctx.phone),
        Submission.created_at >= since, Submission.status.in_(("awaiting_confirmation", "confirmed")))
        .order_by(Submission.id.desc())).scalars().first()
    if sub is None:
        ctx.reply(replies.PHOTO_ALONE, "photo_alone")
        return "photo_alone"
    sub.photo_urls = list(sub.photo_urls or []) + list(ctx.msg.media_urls)
    ctx.submission_id = sub.id
    vlog.record(s, "photo_saved", precinct=sub.precinct.code, phone=ctx.phone,
                submission_id=sub.id, urls=list(ctx.msg.media_urls))
    ctx.reply(replies.PHOTO_SAVED.format(code=sub.precinct.code), "photo_saved", priority=1)
    return "photo_saved"
