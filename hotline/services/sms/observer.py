"""A text from an observer's phone: counts read back with a code, YES, STATUS, HELP, CANCEL.

Observers text the same format as chairs for the precincts they are assigned to; a phone that is
also a chair's is the chair's (the roster import and the observers import refuse the overlap,
and a chair's report is never replaced by an observation).
"""
from __future__ import annotations

from hotline.adapters.models import Observer, Precinct
from hotline.domain.model import Stage
from hotline.domain.parsing import Cancel, Confirm, Help, Report, Status, missing_parts
from hotline.domain.texts import redact
from hotline.domain.wording import observer as words
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import observations
from hotline.services.sms.message import Answer, Incoming, Reply, say
from hotline.services.units import UnitOfWork


def dispatch(uow: UnitOfWork, text: Incoming, parsed: object, observer: Observer) -> Answer:
    """Answer one observer text by what it says."""
    if isinstance(parsed, Report):
        return _report(uow, text, parsed, observer)
    if isinstance(parsed, Confirm):
        return _confirm(uow, text, parsed)
    if isinstance(parsed, Cancel):
        dropped = observations.cancel(uow, text.phone)
        if not dropped:
            return say("nothing_to_cancel", replies.NOTHING_TO_CANCEL)
        return say("observer_cancelled", words.cancelled(sorted({r.precinct.code for r in dropped})))
    codes = [p.code for p in observations.precincts_of(uow.session, observer)]
    if isinstance(parsed, Help):
        return say("help", words.help_(codes))
    if isinstance(parsed, Status):
        rows = [(r.precinct.code, [Stage(st) for st in r.stages]) for r in observations.confirmed_for(uow.session, observer)]
        return say("status", words.status(rows))
    chain.record(uow.session, "observer_text_refused", phone=text.phone, command=type(parsed).__name__.lower())
    return say("observer_other", words.only_counts())


def _precinct(uow: UnitOfWork, text: Incoming, parsed: Report, observer: Observer) -> Precinct | Answer:
    assigned = observations.precincts_of(uow.session, observer)
    codes = [p.code for p in assigned]
    if parsed.precinct:
        found = next((p for p in assigned if p.code == parsed.precinct), None)
        if found is not None:
            return found
        chain.record(uow.session, "observation_refused", precinct=parsed.precinct, phone=text.phone,
                     reason="not assigned", organisation=observer.organisation)
        return say("observer_not_assigned", words.not_assigned(parsed.precinct, codes), priority=1)
    if len(assigned) == 1:
        return assigned[0]
    if not assigned:
        chain.record(uow.session, "observation_refused", phone=text.phone, reason="no precincts",
                     organisation=observer.organisation)
        return say("observer_not_assigned", words.not_assigned("", codes), priority=1)
    return say("which_precinct", words.which_precinct(codes))


def _report(uow: UnitOfWork, text: Incoming, parsed: Report, observer: Observer) -> Answer:
    target = _precinct(uow, text, parsed, observer)
    if isinstance(target, Answer):
        return target
    problems = list(parsed.errors) or missing_parts(parsed)
    if problems:
        chain.record(uow.session, "sms_unparsed", precinct=target.code, phone=text.phone, problems=problems,
                     observer=True, body=redact(text.msg.body))
        return say("parse_error", replies.parse_problems(problems), precinct_id=target.id)
    sections = [(sec.stage, sec.counts) for sec in parsed.sections]
    issued = observations.issue(uow, observer, target, sections, parsed.attendance, text.phone, "sms", text.msg.id)
    body = words.readback(target.code, sections, parsed.attendance, issued.code)
    return Answer("observer_readback", (Reply(body, "readback", precinct_id=target.id),))


def _confirm(uow: UnitOfWork, text: Incoming, parsed: Confirm) -> Answer:
    if not parsed.code:
        if not observations.pending_for_phone(uow.session, text.phone):
            return say("nothing_pending", replies.NOTHING_PENDING)
        return say("need_code", replies.NEED_CODE)
    checked = observations.check(uow, text.phone, parsed.code, text.now)
    if checked.outcome == "confirmed" and checked.observation is not None:
        row = checked.observation
        return Answer("observer_confirmed", (Reply(words.recorded(row.precinct.code, [Stage(s) for s in row.stages]),
                                                   "recorded", precinct_id=row.precinct_id),))
    if checked.outcome == "nothing_pending":
        return say("nothing_pending", replies.NOTHING_PENDING)
    if checked.outcome == "code_expired":
        return say("code_expired", replies.CODE_EXPIRED)
    if checked.outcome == "code_locked":
        return say("code_locked", words.code_locked())
    return say("wrong_code", replies.WRONG_CODE.format(left=replies.tries(checked.tries_left)))
