"""Recording a keypad report: confirmed at once from the registered phone, else by a texted code.

The same `reports.issue` / `reports.confirm` as SMS, so a voice report is checked, logged,
superseded and published exactly like a text. Nothing is written before the caller presses 1.
"""
from __future__ import annotations

from collections.abc import Mapping

from redis import Redis

from hotline.adapters.models import ConfirmationCode, Precinct, Submission, utcnow
from hotline.domain import ivr, lifecycle, verification
from hotline.domain.lifecycle import SubmissionStatus
from hotline.domain.model import Candidate, Stage
from hotline.domain.wording import sms as replies
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import NOTICES
from hotline.services.log import chain
from hotline.services.records import backlog, coin_toss, outbox, reports, roster
from hotline.services.units import UnitOfWork, Units
from hotline.services.voice import desk
from hotline.services.voice.call_state import BadKeys, CallState


def record(units: Units, redis: Redis, call: CallState, counts: Mapping[str, int]) -> ivr.Reply | None:
    """The caller pressed 1 on the read-back: record, or send the code, or hand over to staff."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, call.precinct or "")
        assert precinct is not None
        if call.own_phone:
            _confirm_now(uow, call, precinct, counts)
            return None
        if call.confirm_phone:
            _send_code(uow, call, precinct, counts)
            return None
        _no_phone(uow, call, precinct)
        code = precinct.code
    # Queued once the backlog item is committed, so staff who answer find it.
    return desk.join(redis, call, wording.no_phone(code))


def _draft(call: CallState, precinct: Precinct, counts: Mapping[str, int], phone: str) -> reports.Draft:
    stage = Stage(call.stage or "")
    return reports.Draft(precinct=precinct, sections=[(stage, counts)],
                         attendance=call.stage_attendance, source="voice",
                         sender=call.caller, confirm_phone=phone,
                         body=f"keypad call {call.sid}: {stage.label}: {replies.format_counts(counts)}")


def _confirm_now(uow: UnitOfWork, call: CallState, precinct: Precinct, counts: Mapping[str, int]) -> None:
    """From the registered phone, pressing 1 on the read-back is the confirmation."""
    issued = reports.issue(uow, _draft(call, precinct, counts, call.caller), "keypad")
    row = reports.active_code(uow.session, issued.submission.id)
    assert row is not None
    row.used_at = utcnow()
    chain.record(uow.session, "code_checked", precinct=precinct.code, phone=call.caller, ok=True,
                 submission_id=issued.submission.id, method="keypad on registered phone", call_sid=call.sid)
    _recorded(uow, call, issued.submission)


def _recorded(uow: UnitOfWork, call: CallState, sub: Submission) -> None:
    missing = reports.confirm(uow, sub, actor=call.caller).missing
    stage = Stage(sub.reports[0].stage) if sub.reports else Stage(call.stage or "first")
    call.counts, call.submission_id = {}, None
    said = wording.recorded(sub.precinct.code, stage.label, [m.label for m in missing], sub.flagged)
    ties = _undecided_ties(uow, sub.precinct) if stage is Stage.DELEGATES else ()
    if ties:  # the math leaves a coin toss: ask who won it, one tie at a time
        call.coin_ties, call.coin_winners = [list(groups) for groups in ties], []
        call.go("coin", said)
        return
    call.go("after", said)


def _undecided_ties(uow: UnitOfWork, precinct: Precinct) -> tuple[tuple[str, ...], ...]:
    state = coin_toss.state(uow.session, precinct)
    return () if state.applies else state.ties


def coin(units: Units, _redis: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    """One key per tied group: who won this toss; once every toss is answered, record them."""
    if len(call.coin_winners) >= len(call.coin_ties):
        call.go("after")
        return None
    groups = call.coin_ties[len(call.coin_winners)]
    if not (keys.isdigit() and 1 <= int(keys) <= len(groups)):
        raise BadKeys("invalid")
    call.coin_winners.append(groups[int(keys) - 1])
    if len(call.coin_winners) < len(call.coin_ties):
        call.go("coin")
        return None
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, call.precinct or "")
        assert precinct is not None
        try:
            done = coin_toss.record(uow, precinct, list(dict.fromkeys(call.coin_winners)), "voice", call.caller)
        except coin_toss.TossRefused:
            call.coin_ties, call.coin_winners = [], []
            call.go("after", NOTICES["coin_refused"])
            return None
        said = wording.coin_recorded(precinct.code, done.toss.winners, done.flagged)
    call.coin_ties, call.coin_winners = [], []
    call.go("after", said)
    return None


def _send_code(uow: UnitOfWork, call: CallState, precinct: Precinct, counts: Mapping[str, int]) -> None:
    """From any other phone, a code goes to the registered phone and must be keyed in."""
    phone = call.confirm_phone or ""
    draft = _draft(call, precinct, counts, phone)
    issued = reports.issue(uow, draft, "callback")
    outbox.queue_sms(uow, phone, replies.callback_code_request(
        precinct.code, verification.phone_tail(call.caller), draft.sections, issued.code),
        "callback_code", priority=0, precinct_id=precinct.id)
    call.submission_id = issued.submission.id
    call.go("code")


def _no_phone(uow: UnitOfWork, call: CallState, precinct: Precinct) -> None:
    """No registered phone can confirm: staff must, so they get the numbers with the call."""
    backlog.open_item(uow.session, "unknown_sender", precinct_id=precinct.id, phone=call.caller,
                      summary=f"{precinct.code} has no registered phone; keypad report from {call.caller}",
                      detail={"call_sid": call.sid, "stage": call.stage, "counts": call.counts})


def code(units: Units, _redis: Redis, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    """The code texted to the registered phone, keyed by the caller."""
    with units.begin() as uow:
        s, cfg = uow.session, uow.config
        sub = s.get(Submission, call.submission_id) if call.submission_id else None
        if sub is not None and sub.status == SubmissionStatus.CONFIRMED:
            call.go("after", NOTICES["already"])  # the chair confirmed it by text meanwhile
            return None
        row = reports.active_code(s, sub.id) if sub is not None and sub.status == SubmissionStatus.AWAITING \
            else None
        verdict = verification.CodeCheck.EXPIRED
        if row is not None:
            verdict = verification.check_code(keys, reports.code_state(row), cfg.secret_key, utcnow(),
                                              cfg.code_max_attempts)
        if verdict is verification.CodeCheck.OK and sub is not None and row is not None:
            row.used_at = utcnow()
            chain.record(s, "code_checked", precinct=sub.precinct.code, phone=call.caller, ok=True,
                         submission_id=sub.id, method="keypad callback code", call_sid=call.sid)
            _recorded(uow, call, sub)
            return None
        if verdict is verification.CodeCheck.WRONG and sub is not None and row is not None:
            _wrong_code(uow, call, sub, row)
            return None
    call.go("readback", NOTICES["code_expired"])
    return None


def _wrong_code(uow: UnitOfWork, call: CallState, sub: Submission, row: ConfirmationCode) -> None:
    s, most = uow.session, uow.config.code_max_attempts
    tried = lifecycle.wrong_code(row.attempts, most)
    row.attempts = tried.attempts
    chain.record(s, "code_checked", precinct=sub.precinct.code, phone=call.caller, ok=False,
                 submission_id=sub.id, attempts=tried.attempts, call_sid=call.sid)
    if not tried.locked:
        call.notice = wording.wrong_code(tried.left)
        return
    reports.void(sub, SubmissionStatus.LOCKED)
    backlog.open_item(s, "code_lockout", precinct_id=sub.precinct_id, phone=call.caller,
                      submission_id=sub.id, dedupe_key=f"codelock:{sub.id}",
                      summary=f"{sub.precinct.code}: keypad report not confirmed after "
                              f"{most} wrong codes from {call.caller}")
    call.submission_id = None
    call.go("menu", NOTICES["code_locked"])
