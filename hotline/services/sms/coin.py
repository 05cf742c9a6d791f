"""COIN: a chair texts who won the coin toss that decided the precinct's delegates."""
from __future__ import annotations

from hotline.domain import coin_toss as tosses
from hotline.domain.parsing import Coin, Report
from hotline.domain.texts import redact
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import checking, roster
from hotline.services.records import coin_toss as records
from hotline.services.sms import authorise
from hotline.services.sms.message import Answer, Incoming, say
from hotline.services.units import UnitOfWork


def handle(uow: UnitOfWork, text: Incoming, parsed: Coin) -> Answer:
    """Record the toss for the chair's precinct (the registered phone only), or say why not."""
    s = uow.session
    if not text.registered:  # a number not on the roster: one item, a few answers an hour
        answer = authorise.sender(uow, text, Report())
        assert isinstance(answer, Answer)
        return answer
    if parsed.precinct:
        precinct = roster.precinct_by_code(s, parsed.precinct)
        if precinct is None:
            return say("unknown_precinct", replies.UNKNOWN_PRECINCT.format(code=parsed.precinct))
        if precinct not in text.registered:
            chain.record(s, "sender_mismatch", precinct=precinct.code, phone=text.phone)
            return say("coin_refused", replies.COIN_NOT_REGISTERED.format(code=precinct.code), priority=1)
    elif len(text.registered) == 1:
        precinct = text.registered[0]
    else:
        return say("which_precinct", replies.coin_which_precinct([p.code for p in text.registered]))
    code = precinct.code
    tied = tuple(dict.fromkeys(g for groups in records.ties(s, precinct) for g in groups))
    example = tied[0] if tied else None
    try:
        if not tied:  # no tie, or no delegates yet: record says which, and stores nothing
            records.record(uow, precinct, [], "sms", text.phone)
        winners, problems = tosses.resolve(parsed.choices, tied)
        if parsed.unknown:
            problems.insert(0, f"I could not tell who {_quoted(parsed.unknown)} is")
        elif not parsed.choices:
            problems.append("the text did not say who won")
        if problems:
            return _refused(uow, text, code, problems[0], example)
        done = records.record(uow, precinct, winners, "sms", text.phone)
    except records.TossRefused as refused:
        if refused.reason == "no_delegates":
            return _refused(uow, text, code, str(refused), None, replies.coin_no_delegates(code))
        return _refused(uow, text, code, str(refused), example)
    problem = ""
    if done.flagged:
        mismatch = [f for f in done.findings if f.code == "coin-toss-mismatch"]
        problem = (mismatch[0].short or mismatch[0].message) if mismatch else checking.summary(done.findings)
        problem = problem if problem.endswith(".") else problem + "."
    return say("coin_recorded", replies.coin_recorded(code, done.toss.winners, problem), priority=1,
               precinct_id=precinct.id)


def _quoted(words: tuple[str, ...]) -> str:
    return "'" + " ".join(words)[:40] + "'"


def _refused(uow: UnitOfWork, text: Incoming, code: str, why: str, example: str | None,
             body: str | None = None) -> Answer:
    chain.record(uow.session, "coin_toss_refused", precinct=code, phone=text.phone, reason=why,
                 body=redact(text.msg.body))
    return say("coin_refused", body or replies.coin_refused(code, why, example), priority=1)
