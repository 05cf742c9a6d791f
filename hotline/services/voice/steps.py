"""Keypad reporting by phone: the step dispatcher, menu, precinct, PIN, stage and counts.

Verification and the log are the SMS pipeline's (`limits`, `checking`, `chain`); recording is
in `report`. The numbers live only in the call's Redis state until the caller presses 1 on
the read-back, so a call abandoned mid-report leaves no report behind.
"""
from __future__ import annotations

from collections.abc import Callable

from redis import Redis

from hotline.domain import ivr, verification
from hotline.domain.ivr import Key
from hotline.domain.languages import speaking
from hotline.domain.model import Candidate, Stage
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import NOTICES, SAYINGS
from hotline.services.log import chain
from hotline.services.records import checking, observations, pins, roster
from hotline.services.units import Units
from hotline.services.voice import desk, followup, observer, report, staff
from hotline.services.voice.call_state import STAGE_KEYS, BadKeys, CallState, prompt

# Every step takes the same arguments, so `handle` can dispatch on the step's name.
Step = Callable[[Units, Redis, CallState, str, list[Candidate]], "ivr.Reply | None"]
BACK = {"menu": "menu", "precinct": "menu", "choose": "precinct", "pin": "precinct",
        "stage": "precinct", "attendance": "stage", "count": "stage", "code": "readback", "after": "stage", "coin": "after",
        "callback": "menu", "callback_number": "callback", "staff": "staff", "staff_next": "staff_next"}
# After these, silence means the caller is done: say goodbye instead of queueing them.
QUIET_ENDS = {"after", "coin", "callback", "callback_number", "staff", "staff_next"}


def start(units: Units, redis: Redis, sid: str, caller: str) -> tuple[CallState | None, ivr.Reply]:
    """A new call: turn away a flooding unknown number, else greet with the main menu."""
    with units.begin() as uow:
        precincts = roster.precincts_for_phone(uow.session, caller)
        registered = [p.code for p in precincts]
        language = roster.language_of(precincts)  # a chair whose roster language is es hears Spanish at once
        watcher = None if registered else observations.for_phone(uow.session, caller)  # a chair's phone is the chair's
        if watcher is not None:
            language = watcher.language
        elif not registered and not desk.allow_unknown(uow, redis, caller):
            return None, ivr.Reply((SAYINGS["flooded"],), hangup=True)
        chain.record(uow.session, "call_received", phone=caller, call_sid=sid, registered=registered,
                     **({"observer": watcher.organisation} if watcher else {}))
    call = CallState(sid=sid, caller=caller, registered=registered, language=language,
                     observer_id=watcher.id if watcher else None)  # the menu offers observers their key
    with speaking(call.language):
        return call, prompt(call, roster.candidates(units))


def start_staff(units: Units, sid: str, caller: str) -> tuple[CallState, ivr.Reply]:
    """A call on the staff line: straight to the staff PIN."""
    call = CallState(sid=sid, caller=caller).go("staff")
    return call, prompt(call, roster.candidates(units))


def handle(units: Units, redis: Redis, call: CallState, step: str, digits: str) -> ivr.Reply:
    """Act on the keys pressed at `step` and return what the caller hears next."""
    candidates = roster.candidates(units)
    if step != call.step:
        return prompt(call, candidates)  # keys for a prompt the call already left: repeat where it is
    key = ivr.classify(digits, zero_is_value=step in ("count", "attendance"))
    if key is Key.SILENCE:
        return _miss(redis, call, candidates, BadKeys("silence"))
    if key is Key.PERSON and not call.staff:
        return desk.join(redis, call, NOTICES["to_desk"])
    if key is Key.BACK:
        _back(call, len(candidates))
    else:
        try:
            reply = STEPS[step](units, redis, call, digits.strip(), candidates)
        except BadKeys as bad:
            return _miss(redis, call, candidates, bad)
        if reply is not None:
            return reply
    return prompt(call, candidates)


def _miss(redis: Redis, call: CallState, candidates: list[Candidate], bad: BadKeys) -> ivr.Reply:
    """Silence or a wrong key: repeat the prompt, and after a few give the caller a person."""
    call.misses += 1
    if call.misses >= ivr.MAX_MISSES:
        if call.step in QUIET_ENDS:
            return ivr.Reply((SAYINGS["silent_goodbye"],), hangup=True)
        return desk.join(redis, call, NOTICES["to_desk"])
    call.notice = wording.notice(bad.notice, bad.keys)
    return prompt(call, candidates)


def _back(call: CallState, n_candidates: int) -> None:
    if call.step == "count" and call.index > 0:
        call.go("count").index -= 1
    elif call.step == "readback":
        call.go("count").index = n_candidates - 1
    else:
        call.go(BACK.get(call.step, "menu"))


def _menu(units: Units, redis: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    if keys == "1":
        call.observing = False
        call.go("precinct")
    elif keys == "2":
        return desk.join(redis, call)
    elif keys == "3":
        return followup.voicemail(call)
    elif keys == ivr.LANGUAGE_KEY:  # the other language: every prompt from here on (webhook.answer)
        call.language = "es" if call.language == "en" else "en"
        with speaking(call.language):
            return prompt(call, _c)
    elif keys == wording.OBSERVER_KEY and not call.registered:  # a chair's phone is the chair's
        observer.begin(units, call)
    elif keys == "9" and units.config.staff_line_pin:
        call.go("staff")  # not announced: the staff line is for staff who know its PIN
    else:
        raise BadKeys("invalid")
    return None


def _keypad_index(units: Units) -> dict[str, list[str]]:
    return units.cached("precinct_keypad", roster.ROSTER_TTL,
                        lambda: ivr.keypad_index(roster.known_codes(units)))


def _precinct(units: Units, _r: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    matches = _keypad_index(units).get(keys, []) if keys.isdigit() else []
    if not matches:
        raise BadKeys("no_precinct", keys)
    if call.observing and not (matches := observer.assigned(units, call, matches)):
        return None
    if len(matches) == 1:
        _select(units, call, matches[0])
        return None
    # The caller's own precincts first: a chair on the registered phone hears theirs at once.
    call.choices = sorted(matches, key=lambda code: code not in call.registered)
    call.choice_page = 0
    call.go("choose")
    return None


def _choose(units: Units, _r: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    page = ivr.choice_page(call.choices, call.choice_page)
    if keys == "9" and len(call.choices) > ivr.CHOICES_PER_PAGE:
        call.choice_page += 1  # the next few; after the last page the first comes round again
        call.go("choose")
        return None
    if not (keys.isdigit() and 1 <= int(keys) <= len(page)):
        raise BadKeys("invalid")
    _select(units, call, page[int(keys) - 1])
    return None


def _select(units: Units, call: CallState, code: str) -> None:
    if call.observing:
        observer.chosen(units, call, code)
        return
    with units.reading() as session:
        precinct = roster.precinct_by_code(session, code)
        phones = roster.registered_phones(session, precinct) if precinct else []
        name = precinct.name if precinct else code
    call.precinct, call.precinct_name, call.verified = code, name, False
    call.confirm_phone = call.caller if code in call.registered else (phones[0] if phones else None)
    call.go("pin")


def _pin(units: Units, _r: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    if call.observing:
        observer.pin(units, call, keys)
        return None
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, call.precinct or "")
        if precinct is None:
            call.go("precinct")
            return None
        own, log = precinct.code in call.registered, {"channel": "voice", "call_sid": call.sid}
        right = precinct.chair is not None and verification.check_pin(keys, precinct.chair.pin_hash)
        reason = pins.refusal(uow, precinct, call.caller, own_phone=own)
        if reason:  # the same answer for a right PIN as for a wrong one: a guess learns nothing
            pins.refused(uow, precinct, call.caller, reason, right, **log)
        elif not right:
            miss = pins.missed(uow, precinct, call.caller, own_phone=own, via="voice", **log)
            if not miss.locked:
                call.notice = wording.wrong_pin(precinct.code, miss.left)
                return None
            reason = pins.PHONE
        if reason:
            way = ("own" if own else "registered" if roster.registered_phones(uow.session, precinct)
                   else "staff")
            call.precinct = None
            call.go("menu", wording.pin_refused(precinct.code, reason, pins.SLOW_GAP_SECONDS, way))
            return None
        pins.passed(uow, precinct, call.caller, own_phone=own, **log)
    call.verified = True
    call.go("stage")
    return None


def _stage(_u: Units, _r: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    if keys not in STAGE_KEYS:
        raise BadKeys("invalid")
    call.stage, call.index, call.counts = STAGE_KEYS[keys].value, 0, {}
    # The attendance A the chair counted decides viability; it belongs with the first alignment.
    call.go("attendance" if call.stage == Stage.FIRST.value else "count")
    return None


def _attendance(_u: Units, _r: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    n = ivr.parse_count(keys)
    if n is None:
        raise BadKeys("bad_count", keys)
    call.attendance = n or None  # 0: not counted; the checks then use the first-alignment total
    call.go("count")
    return None


def _count(units: Units, _r: Redis, call: CallState, keys: str,
           candidates: list[Candidate]) -> ivr.Reply | None:
    n = ivr.parse_count(keys)
    if n is None:
        raise BadKeys("bad_count", keys)
    call.counts[candidates[call.index].name] = n
    call.go("count").index += 1
    if call.index >= len(candidates):
        _to_readback(units, call, candidates)
    return None


def _nonzero(call: CallState, candidates: list[Candidate]) -> dict[str, int]:
    return {c.name: call.counts[c.name] for c in candidates if call.counts.get(c.name)}


def _to_readback(units: Units, call: CallState, candidates: list[Candidate]) -> None:
    counts = _nonzero(call, candidates)
    if not counts:
        call.counts, call.index = {}, 0
        call.go("count", NOTICES["all_zero"])
        return
    with units.reading() as session:  # the checks only read: nothing is stored before the caller presses 1
        precinct = roster.precinct_by_code(session, call.precinct or "")
        assert precinct is not None
        findings = checking.preview(session, precinct, [(Stage(call.stage or ""), counts)],
                                    call.stage_attendance)
    call.warning = checking.chair_warning(findings)
    call.go("readback")


def _readback(units: Units, redis: Redis, call: CallState, keys: str,
              candidates: list[Candidate]) -> ivr.Reply | None:
    if keys == "2":
        call.counts, call.index = {}, 0
        call.go("count", NOTICES["again"])
        return None
    if keys != "1":
        raise BadKeys("invalid")
    if call.observing:
        return observer.record(units, call, _nonzero(call, candidates))
    if not call.verified:
        call.go("precinct")
        return None
    return report.record(units, redis, call, _nonzero(call, candidates))


def _after(_u: Units, _r: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    if keys == "1":
        call.go("stage")
        return None
    return ivr.Reply((SAYINGS["goodbye"],), hangup=True)


STEPS: dict[str, Step] = {
    "menu": _menu, "precinct": _precinct, "choose": _choose, "pin": _pin, "stage": _stage,
    "attendance": _attendance, "count": _count, "readback": _readback, "code": report.code, "after": _after, "coin": report.coin,
    "callback": followup.callback, "callback_number": followup.callback_number,
    "staff": staff.staff_pin, "staff_next": staff.staff_next,
}
