"""A chair's report text: assemble split parts, authorise the sender, issue the read-back."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from hotline.adapters.models import InboundMessage, Precinct, Submission
from hotline.domain import verification
from hotline.domain.languages import speaking
from hotline.domain.lifecycle import SubmissionStatus
from hotline.domain.model import Stage
from hotline.domain.parsing import Report, missing_parts, parse_message
from hotline.domain.texts import continued_parts, join_bodies, redact
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, checking, outbox, reports, roster
from hotline.services.sms import authorise
from hotline.services.sms.message import Answer, Incoming, Reply, say
from hotline.services.units import UnitOfWork

# The replies a repeated report may send again (see _repeated).
READBACK_KINDS = ("readback", "callback_code", "callback_notice")
# Findings that mean the delegate math leaves a coin toss (the read-back asks who won it).
COIN_CODES = ("coin-toss", "coin-toss-unrecorded")


def handle(uow: UnitOfWork, text: Incoming, parsed: Report) -> Answer:
    """Answer a text that is (part of) a report: a read-back with a code, or what to fix."""
    assembled = False
    body = text.msg.body or ""
    has_numbers = any(ch.isdigit() for ch in body)
    if not parsed.sections and not has_numbers and reports.pending_for_phone(uow.session, text.phone):
        return _chatter(uow, text)  # "got it, thanks" must not replace the read-back waiting for YES
    # Only a text with numbers in it can be the rest of a split report.
    earlier = [] if _complete(parsed) or not has_numbers else _earlier_parts(uow, text)
    if earlier:
        combined = parse_message(join_bodies([m.body for m in earlier] + [body]),
                                 text.candidates, known_precincts=text.codes)
        if isinstance(combined, Report) and (_complete(combined) or not parsed.sections):
            parsed, assembled = combined, True
    target = authorise.sender(uow, text, parsed)
    if isinstance(target, Answer):
        return target
    problems = list(parsed.errors) or missing_parts(parsed)
    if problems:
        return _parse_error(uow, text, problems, target.precinct)
    return _read_back(uow, text, parsed, target, assembled)


def _read_back(uow: UnitOfWork, text: Incoming, parsed: Report, target: authorise.Target,
               assembled: bool) -> Answer:
    precinct, confirm_phone = target.precinct, target.confirm_phone
    sections = [(sec.stage, sec.counts) for sec in parsed.sections]
    draft = reports.Draft(precinct=precinct, sections=sections, attendance=parsed.attendance,
                          source="sms", sender=text.phone, confirm_phone=confirm_phone,
                          body=text.msg.body, photo_urls=tuple(text.msg.media_urls or ()))
    cfg = uow.config
    same = reports.same_pending(uow.session, draft, text.now, cfg.code_max_attempts, cfg.code_ttl_seconds)
    if same is not None:
        repeated = _repeated(uow, text, same, precinct)
        if repeated is not None:
            return repeated
    issued = reports.issue(uow, draft, target.code_kind)
    backlog.auto_resolve(uow.session, f"unparsed:{text.phone}", "the chair sent a readable report")
    sub_id = issued.submission.id
    if target.code_kind == "callback":
        # The code goes to the chair's registered phone: in the chair's language, not the sender's.
        with speaking(roster.language_of([precinct])):
            request = replies.callback_code_request(precinct.code, verification.phone_tail(text.phone),
                                                    sections, issued.code)
        return Answer("callback_code_sent", (
            Reply(request, "callback_code", to=confirm_phone, precinct_id=precinct.id),
            Reply(replies.callback_code_sent(precinct.code, verification.phone_tail(confirm_phone)),
                  "callback_notice", precinct_id=precinct.id)), sub_id)
    coin = (checking.preview_ties(uow.session, precinct, sections, parsed.attendance)
            if any(f.code in COIN_CODES for f in issued.findings) and _with_delegates(uow, precinct, sections)
            else ())
    warning = checking.readback_warning(uow.session, precinct, issued.findings)
    # The checks compare the text with the other stages as they stand: say which figures they took
    # from earlier confirmed reports, so the chair does not look for them in the text just sent.
    context = replies.checked_with(*checking.earlier_figures(uow.session, precinct, sections, parsed.attendance)) \
        if warning else ""
    body = replies.readback(precinct.code, sections, parsed.attendance, issued.code,
                            warning=warning, updated=assembled, coin=coin, checked_with=context)
    return Answer("readback", (Reply(body, "readback", precinct_id=precinct.id),), sub_id)


def _with_delegates(uow: UnitOfWork, precinct: Precinct, sections: list) -> bool:
    """Whether the precinct would have county delegates with this report confirmed (a coin toss
    can be recorded only then)."""
    return any(stage is Stage.DELEGATES for stage, _ in sections) or \
        Stage.DELEGATES in reports.current_reports(uow.session, precinct.id)


def _earlier_parts(uow: UnitOfWork, text: Incoming) -> list[InboundMessage]:
    """Earlier texts from this phone that this one may continue (long texts arrive split), oldest first."""
    earlier = list(uow.session.execute(select(InboundMessage).where(
        InboundMessage.from_number == text.phone, InboundMessage.id < text.msg.id,
        InboundMessage.channel == "sms").order_by(InboundMessage.id.desc()).limit(5)).scalars())
    n = continued_parts([(m.outcome, m.received_at) for m in earlier], text.msg.received_at,
                        timedelta(seconds=uow.config.split_window_seconds))
    return list(reversed(earlier[:n]))


def _repeated(uow: UnitOfWork, text: Incoming, sub: Submission, precinct: Precinct) -> Answer | None:
    """The same report again while its read-back waits for YES: that read-back again, same code.

    Chairs resend when an answer is slow. A new code would make the read-back already on its
    way useless: its YES would be refused as replaced. One not yet sent is not copied.
    """
    earlier = outbox.latest_by_kind(uow.session, sub.sender, sub.id, READBACK_KINDS)
    if not earlier:
        return None  # nothing to repeat: issue a fresh read-back
    waiting = [row for row in earlier if outbox.on_its_way(row)]
    resent = [row for row in earlier if row not in waiting]
    chain.record(uow.session, "report_repeated", precinct=precinct.code, phone=text.phone,
                 submission_id=sub.id,
                 resent=[row.kind for row in resent], waiting=[row.kind for row in waiting])
    again = tuple(Reply(row.body, row.kind, to=row.to_number, priority=row.priority, precinct_id=precinct.id)
                  for row in resent)
    return Answer("readback_resent" if resent else "readback_on_its_way", again, sub.id)


def _chatter(uow: UnitOfWork, text: Incoming) -> Answer:
    body = redact(text.msg.body)
    backlog.open_item(uow.session, "unparsed_text", phone=text.phone, dedupe_key=f"unparsed:{text.phone}",
                      summary=f"Message from {text.phone} while a read-back waits: {body[:80]}",
                      detail={"body": body})
    return say("chatter", replies.CHATTER_PENDING)


def _complete(parsed: Report) -> bool:
    return parsed.ok and all(sec.stage is not None for sec in parsed.sections)


def _parse_error(uow: UnitOfWork, text: Incoming, problems: list[str], precinct: Precinct | None) -> Answer:
    chain.record(uow.session, "sms_unparsed", precinct=precinct.code if precinct else None,
                 phone=text.phone, problems=problems)
    backlog.open_item(uow.session, "unparsed_text", phone=text.phone,
                      precinct_id=precinct.id if precinct else None, dedupe_key=f"unparsed:{text.phone}",
                      summary=f"Text not understood from {text.phone}: {problems[0]}",
                      detail={"body": redact(text.msg.body), "problems": problems})
    return say("parse_error", replies.parse_problems(problems), precinct_id=precinct.id if precinct else None)


def photo_only(uow: UnitOfWork, text: Incoming) -> Answer:
    """An MMS with only a picture: keep it with this phone's latest report, as its worksheet."""
    s = uow.session
    sub = s.execute(select(Submission).where(
        or_(Submission.sender == text.phone, Submission.confirm_phone == text.phone),
        Submission.created_at >= text.now - timedelta(hours=2),
        Submission.status.in_((SubmissionStatus.AWAITING, SubmissionStatus.CONFIRMED)))
        .order_by(Submission.id.desc())).scalars().first()
    if sub is None:
        return say("photo_alone", replies.PHOTO_ALONE)
    sub.photo_urls = list(sub.photo_urls or []) + list(text.msg.media_urls)
    chain.record(s, "photo_saved", precinct=sub.precinct.code, phone=text.phone,
                 submission_id=sub.id, photos=len(text.msg.media_urls))  # no URLs in the log
    return Answer("photo_saved", (Reply(replies.PHOTO_SAVED.format(code=sub.precinct.code), "photo_saved",
                                        priority=1),), sub.id)
