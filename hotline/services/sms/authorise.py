"""Who may report for which precinct: the registered phone, or the chair's PIN from another phone.

A report from the registered phone is read back to it. From any other phone it needs the PIN,
and the code then goes to the registered phone, so a stolen PIN alone records nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from hotline.adapters.models import Precinct
from hotline.domain import verification
from hotline.domain.parsing import Report
from hotline.domain.texts import redact
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, limits, pins, roster
from hotline.services.sms.message import Answer, Incoming, say
from hotline.services.units import UnitOfWork


@dataclass(frozen=True)
class Target:
    """The precinct a report is for, the phone that must confirm it, and the kind of code."""

    precinct: Precinct
    confirm_phone: str
    code_kind: str  # "readback" to the sender, "callback" to the chair's registered phone


def sender(uow: UnitOfWork, text: Incoming, parsed: Report) -> Target | Answer:
    """Which precinct and which phone confirms; or the answer that refuses (and why)."""
    if parsed.precinct:
        precinct = roster.precinct_by_code(uow.session, parsed.precinct)
        if precinct is None:
            return say("unknown_precinct", replies.UNKNOWN_PRECINCT.format(code=parsed.precinct))
        if precinct in text.registered:
            if parsed.pin:
                _own_pin(uow, text, precinct, parsed.pin)
            return Target(precinct, text.phone, "readback")
        return _with_pin(uow, text, precinct, parsed.pin)
    if len(text.registered) == 1:
        return Target(text.registered[0], text.phone, "readback")
    if text.registered:
        codes = [p.code for p in text.registered]
        return say("which_precinct", replies.WHICH_PRECINCT.format(codes=", ".join(codes), first=codes[0]))
    return _unknown_sender(uow, text)


def _unknown_sender(uow: UnitOfWork, text: Incoming) -> Answer:
    s = uow.session
    backlog.open_item(s, "unknown_sender", phone=text.phone,
                      dedupe_key=backlog.unknown_sender_key(text.phone),
                      summary=f"Texts from unregistered number {text.phone}",
                      detail={"body": redact(text.msg.body)})
    chain.record(s, "sender_unknown", phone=text.phone)
    # Pranksters get a few answers an hour, not one per text.
    if limits.allow(s, f"reply:unknown:{text.phone}", limit=uow.config.unknown_sender_replies_per_hour,
                    window_seconds=3600):
        return say("unknown_sender", replies.UNREGISTERED, "unregistered", priority=1)
    return Answer("unknown_sender")


def _own_pin(uow: UnitOfWork, text: Incoming, precinct: Precinct, pin: str) -> None:
    """The registered phone needs no PIN; when it sends the right one anyway, that proves the chair
    is about and ends the precinct's PIN slow-down. A wrong one there is ignored, as before."""
    if precinct.chair is not None and verification.check_pin(pin, precinct.chair.pin_hash):
        pins.passed(uow, precinct, text.phone, own_phone=True)


def _with_pin(uow: UnitOfWork, text: Incoming, precinct: Precinct, pin: str | None) -> Target | Answer:
    s = uow.session
    if not pin:
        chain.record(s, "sender_mismatch", precinct=precinct.code, phone=text.phone)
        return say("pin_needed", replies.NOT_YOUR_PRECINCT.format(code=precinct.code), priority=1)
    right = precinct.chair is not None and verification.check_pin(pin, precinct.chair.pin_hash)
    reason = pins.refusal(uow, precinct, text.phone)
    if reason:  # refused whether the PIN is right or not, with the same answer: a guess learns nothing
        return _refused(precinct, reason, pins.refused(uow, precinct, text.phone, reason, right))
    if not right:
        miss = pins.missed(uow, precinct, text.phone)
        if miss.locked:
            return _refused(precinct, pins.PHONE, bool(roster.registered_phones(s, precinct)))
        return say("wrong_pin", replies.WRONG_PIN.format(code=precinct.code, left=replies.tries(miss.left)))
    phones = roster.registered_phones(s, precinct)
    pins.passed(uow, precinct, text.phone)
    if not phones:
        backlog.open_item(s, "unknown_sender", precinct_id=precinct.id, phone=text.phone,
                          summary=f"{precinct.code} has no registered phone; report came from {text.phone}",
                          detail={"body": redact(text.msg.body)})
        return say("no_registered_phone", replies.NO_REGISTERED_PHONE, precinct_id=precinct.id)
    return Target(precinct, phones[0], "callback")


OUTCOMES = {pins.PHONE: "pin_locked", pins.SLOWED: "pin_slowed", pins.PAUSED: "pin_paused"}


def _refused(precinct: Precinct, reason: str, registered_phone: bool) -> Answer:
    """A PIN try refused: why, and the way through (the registered phone, and our call to it)."""
    body = replies.pin_refused(precinct.code, reason, pins.SLOW_GAP_SECONDS // 60, registered_phone)
    return say(OUTCOMES[reason], body, priority=1)
