"""Observers on the keypad line: identify, choose the precinct, then the chairs' stage and count steps.

An observer's counts are compared with the chair's report and never count (records/observations.py).
The call takes the observers' path at the main menu (wording.voice.OBSERVER_KEY); from then on the
chairs' steps (steps.py) hand the observer's cases here: which precincts fit the keys, the
precinct chosen, the observer PIN, and the read-back's 1. The same routes and prompts serve both,
so an observer hears the same stage, count and read-back questions as a chair.

Who the observer is: the caller ID, when it is an observer's registered phone (no PIN: the phone
is the proof, as a chair's registered phone is); else the PIN of an observer assigned to the
precinct keyed, tried against the chairs' PIN limits (records/pins.py), so guessing a PIN costs
the same on either path. As for chairs, nothing is stored before the read-back's 1, so a call
abandoned mid-way leaves only its call events and log entries behind.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import Observer, ObserverPrecinct, Precinct
from hotline.domain import ivr, verification
from hotline.domain.model import Stage
from hotline.domain.wording import voice as wording
from hotline.services.log import chain
from hotline.services.records import observations, pins, roster
from hotline.services.units import Units
from hotline.services.voice.call_state import CallState


def _say_too(call: CallState, text: str) -> None:
    """Add `text` to what the caller hears before the next prompt."""
    call.notice = f"{call.notice} {text}".strip()


def begin(units: Units, call: CallState) -> None:
    """The observers' key at the main menu: an observer's own phone goes to its precincts, any
    other phone keys the precinct and then the observer PIN."""
    call.observing, call.precinct, call.verified, call.confirm_phone = True, None, False, None
    call.observer_id, call.observer_phone, call.observed = None, False, []
    with units.begin() as uow:
        s = uow.session
        observer = observations.for_phone(s, call.caller)
        codes = [p.code for p in observations.precincts_of(s, observer)] if observer else []
        # The call itself is logged as call_received (with the organisation for an observer's
        # phone), every webhook as a call event; here only what is refused, as by SMS.
        if observer is not None and not codes:
            chain.record(s, "observation_refused", phone=call.caller, reason="no precincts", channel="voice",
                         call_sid=call.sid, organisation=observer.organisation)
    if observer is None:
        call.go("precinct", wording.OBSERVERS["intro"])
        return
    if not codes:
        call.observing = False
        call.go("menu", wording.observer_not_assigned("", []))
        return
    call.observer_id, call.observer_phone, call.observed = observer.id, True, codes
    call.go("precinct", wording.OBSERVERS["intro"])
    if len(codes) == 1:
        chosen(units, call, codes[0])


def assigned(units: Units, call: CallState, matches: list[str]) -> list[str]:
    """Of the precincts the keys fit, those this caller may observe: for an observer known by
    caller ID, their assigned ones (none: said and logged); by PIN, any (the PIN decides)."""
    if not call.observer_phone:
        return matches
    mine = [code for code in matches if code in call.observed]
    if not mine:
        with units.begin() as uow:
            observer = uow.session.get(Observer, call.observer_id)
            chain.record(uow.session, "observation_refused", precinct=matches[0], phone=call.caller,
                         reason="not assigned", channel="voice", call_sid=call.sid, observer_id=call.observer_id,
                         organisation=observer.organisation if observer else None)
        call.go("precinct", wording.observer_not_assigned(matches[0], call.observed))
    return mine


def chosen(units: Units, call: CallState, code: str) -> None:
    """The precinct is chosen: an observer known by caller ID goes on to the stage, others to the PIN."""
    with units.reading() as session:
        precinct = roster.precinct_by_code(session, code)
        name = precinct.name if precinct else code
    call.precinct, call.precinct_name, call.verified, call.confirm_phone = code, name, False, None
    if call.observer_phone:
        _say_too(call, wording.observer_precinct(code, name))
        call.go("stage")
        return
    call.observer_id = None  # a PIN proves an observer for one precinct only
    call.go("pin")


def _observer_with_pin(s: Session, precinct: Precinct, pin: str) -> Observer | None:
    """The observer assigned to `precinct` whose PIN this is."""
    assigned_here = s.execute(select(Observer).join(ObserverPrecinct, ObserverPrecinct.observer_id == Observer.id)
                              .where(ObserverPrecinct.precinct_id == precinct.id).order_by(Observer.id)).scalars()
    for observer in assigned_here:
        if observer.pin_hash and verification.check_pin(pin, observer.pin_hash):
            return observer
    return None


def pin(units: Units, call: CallState, keys: str) -> None:
    """The observer PIN for the chosen precinct, under the chairs' PIN limits."""
    with units.begin() as uow:
        s = uow.session
        precinct = roster.precinct_by_code(s, call.precinct or "")
        if precinct is None:
            call.go("precinct")
            return
        log = {"channel": "voice", "call_sid": call.sid, "observer": True}
        reason = pins.refusal(uow, precinct, call.caller)
        if reason:
            # Logged, but no call-back item for the chair (pins.refused): the chair is not the one
            # locked out. The same answer whatever the PIN, so a refused guess learns nothing.
            chain.record(s, "pin_refused", precinct=precinct.code, phone=call.caller, reason=reason, **log)
        else:
            found = _observer_with_pin(s, precinct, keys)
            if found is not None:
                pins.passed(uow, precinct, call.caller, observer_id=found.id,
                            organisation=found.organisation, **log)
                call.observer_id = found.id
                call.go("stage")
                return
            miss = pins.missed(uow, precinct, call.caller, via="voice, observer", **log)
            if not miss.locked:
                call.notice = wording.observer_wrong_pin(precinct.code, miss.left)
                return
            reason = pins.PHONE
    call.precinct = None
    call.go("menu", wording.observer_pin_refused(precinct.code, reason, pins.SLOW_GAP_SECONDS))


def record(units: Units, call: CallState, counts: Mapping[str, int]) -> ivr.Reply | None:
    """1 on the read-back: the observation is stored, confirmed and compared in one unit of work."""
    if call.observer_id is None:
        call.go("precinct")
        return None
    stage = Stage(call.stage or "")
    with units.begin() as uow:
        s = uow.session
        observer = s.get(Observer, call.observer_id)
        precinct = roster.precinct_by_code(s, call.precinct or "")
        theirs = [p.code for p in observations.precincts_of(s, observer)] if observer else []
        if observer is None or precinct is None or precinct.code not in theirs:
            # The observers' list changed during the call: nothing is recorded.
            chain.record(s, "observation_refused", precinct=call.precinct, phone=call.caller,
                         reason="not assigned", channel="voice", call_sid=call.sid, observer_id=call.observer_id,
                         organisation=observer.organisation if observer else None)
            said = wording.observer_not_assigned(call.precinct or "", theirs)
            call.precinct, call.observer_id, call.counts = None, None, {}
            call.go("menu", said)
            return None
        observations.record_by_voice(uow, observer, precinct, [(stage, counts)], call.stage_attendance,
                                     call.caller, call_sid=call.sid)
        said = wording.observer_recorded(precinct.code, stage.label)
    call.counts = {}
    call.go("after", said)
    return None
