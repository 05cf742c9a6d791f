"""The verification log in plain sentences, for the administrators' log page.

One sentence per kind of entry (every kind `chain.record` is called with), and who did it: the
chair's phone on the chair's own entries, the staff member on staff actions, "the checks" or
"system" on automatic ones. An unknown kind (or a detail this module does not expect) reads as
"key: value; key: value", never as JSON. Pure: standard library and the domain only.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hotline.domain.model import Stage

Detail = Mapping[str, Any]

STAFF, PHONE, SYSTEM = "staff", "phone", "system"

# Entries the hotline writes on its own, whoever's phone they name (an item opened for a chair's
# phone is still the system's doing).
AUTOMATIC = frozenset({
    "backlog_opened", "stage_missing", "job_failed", "inbound_reconciled", "webhooks_rejected",
    "sms_send_settled", "sms_send_failed", "sms_undelivered", "photo_stored", "photo_refused",
    "photo_failed", "pin_paused", "log_rewrite_detected", "reply_loop_detected", "sender_throttled",
    "call_flood_limited", "staff_call_bridged",
})


@dataclass(frozen=True)
class Who:
    """The "who" column: its text and what it is (STAFF, PHONE or SYSTEM), so the page can link it."""

    text: str
    role: str


@dataclass(frozen=True)
class Line:
    """One log entry as a sentence, and who did it."""

    sentence: str
    who: Who


def describe(kind: str, precinct: str | None, phone: str | None, actor: str | None,
             detail: Detail | None) -> Line:
    """The sentence and the "who" of one log entry."""
    return Line(sentence(kind, precinct, phone, actor, detail), who(kind, phone, actor, detail))


def _is_phone(value: str) -> bool:
    return value.startswith("+") and value[1:].isdigit()


def who(kind: str, phone: str | None, actor: str | None, detail: Detail | None) -> Who:
    """Who an entry is by: the checks, the system, a staff member or a phone."""
    d = detail or {}
    if kind == "precinct_held" and not actor:
        return Who("system" if d.get("hold_kind") == "conflict" else "the checks", SYSTEM)
    if actor == "system" or (kind in AUTOMATIC and not (actor and not _is_phone(actor))):
        return Who("system", SYSTEM)
    if kind in ("opted_out", "opted_in") and d.get("source") not in (None, "text"):
        return Who("system", SYSTEM)  # Twilio's 21610 (or a mark) is not the chair's own doing
    if actor:
        return Who(actor, PHONE if _is_phone(actor) else STAFF)
    if phone:
        return Who(phone, PHONE)
    return Who("system", SYSTEM)


def sentence(kind: str, precinct: str | None, phone: str | None, actor: str | None,
             detail: Detail | None) -> str:
    """One plain sentence for the entry; the key-value fallback for an unknown kind or odd detail."""
    d = dict(detail or {})
    build = _SENTENCES.get(kind)
    if build is not None:
        try:
            return build(_Entry(precinct, phone, actor, d))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # a detail shaped unlike the one expected: show what is there instead
    words = kind.replace("_", " ").capitalize()
    rest = fallback(d)
    return f"{words}: {rest}" if rest else words


def fallback(detail: Detail) -> str:
    """ "key: value; key: value" for any detail, nested values included, without JSON braces."""
    return "; ".join(f"{key.replace('_', ' ')}: {value_text(value)}" for key, value in detail.items())


def value_text(value: Any) -> str:
    """A detail value in words: lists joined by commas, mappings as "key value", none as "none"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if not value:
            return "none"
        if all(isinstance(v, Mapping) for v in value.values()):
            return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
        return ", ".join(f"{k} {value_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value) if value else "none"
    return str(value)


@dataclass(frozen=True)
class _Entry:
    precinct: str | None
    phone: str | None
    actor: str | None
    d: dict[str, Any]

    @property
    def p(self) -> str:
        return self.precinct or "no precinct"

    @property
    def staff(self) -> str:
        return self.actor or "a staff member"


def _stage_label(stage: str) -> str:
    try:
        return Stage(stage).label.lower()
    except ValueError:
        return stage


def _stages(stages: Any) -> str:
    """ "first, final" from a list of stage names (or the keys of a stage mapping)."""
    return ", ".join(str(s) for s in stages) if stages else "no stage"


def _counts(counts: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) if counts else "no numbers"


def _figures(stages: Mapping[str, Mapping[str, Any]], attendance: Any = None) -> str:
    """ "first alignment Biden 12, Pete 45; final alignment ..." (stages in their usual order)."""
    order = [s.value for s in Stage]
    keys = sorted(stages, key=lambda k: order.index(k) if k in order else len(order))
    parts = [f"{_stage_label(k)} {_counts(stages[k])}" for k in keys]
    if attendance is not None:
        parts.append(f"attendance {attendance}")
    return "; ".join(parts) if parts else "no numbers"


def _checks(findings: Any) -> str:
    # One finding code can repeat (one per candidate): each is named once.
    return "checks: " + (", ".join(dict.fromkeys(str(f) for f in findings)) if findings else "none")


def _item(e: _Entry) -> str:
    return f"item #{e.d['item_id']}" if e.d.get("item_id") is not None else "an item"


def _quote(text: Any) -> str:
    return f"\u201c{text}\u201d" if text else "(no text)"


def _yes_no(ok: Any, yes: str = "right", no: str = "wrong") -> str:
    return yes if ok else no


def _code_sent(e: _Entry) -> str:
    d = e.d
    stages = _stages(d.get("stages"))
    if d.get("source") == "staff" and d.get("code_kind") == "callback":
        return f"{e.staff} texted a code to the registered phone {e.phone} of {e.p} to check who is on the line"
    if d.get("source") == "staff":
        # No code goes anywhere: a staff entry waits for a second staff member instead.
        return (f"Staff entry for {e.p} ({stages}) stored by {e.staff}; it waits for another staff "
                f"member's approval, no code is texted; {_checks(d.get('findings'))}")
    if d.get("code_kind") == "callback":
        return (f"Code sent to the registered phone {e.phone} to confirm {e.p} ({stages}) reported from "
                f"{e.actor or 'another phone'}; {_checks(d.get('findings'))}")
    if d.get("code_kind") == "keypad":
        return (f"Report keyed in on a call from {e.phone} for {e.p} ({stages}), confirmed on the call; "
                f"{_checks(d.get('findings'))}")
    replaced = d.get("replaced")
    also = f"; replaces unconfirmed submission {value_text(replaced)}" if replaced else ""
    return f"Read-back code sent to {e.phone} for {e.p} ({stages}); {_checks(d.get('findings'))}{also}"


def _code_checked(e: _Entry) -> str:
    d = e.d
    if d.get("via") == "staff":
        verdict = str(d.get("verdict") or _yes_no(d.get("ok"))).replace("_", " ")
        return f"{e.staff} checked the code the caller read out for {e.p}: {verdict}"
    text = f"Code from {e.phone} for {e.p}: {_yes_no(d.get('ok'))}"
    if e.precinct is None:
        text = f"Code from {e.phone}: {_yes_no(d.get('ok'))}"
    if d.get("reason"):
        text += f" ({d['reason']})"
    if d.get("attempts"):
        text += f"; {d['attempts']} wrong tries so far"
    if d.get("method"):
        text += f" ({d['method']})"
    return text


def _report_confirmed(e: _Entry) -> str:
    d = e.d
    how = f" (staff entry approved by {e.staff})" if d.get("source") == "staff" else ""
    flagged = " Flagged for staff." if d.get("flagged") else ""
    return (f"Report confirmed{how}: {e.p} {_figures(d.get('stages') or {}, d.get('attendance'))}; "
            f"{_checks(d.get('findings'))}.{flagged}")


def _held(e: _Entry) -> str:
    if e.d.get("hold_kind") == "conflict":
        return f"Precinct {e.p} held while an observer's counts differ from the chair's: {e.d.get('reason')}"
    who = e.actor if e.actor else "the checks"
    reason = str(e.d.get("reason") or "no reason given")
    none_yet = " (no figures yet)" if e.d.get("no_figures") and "no figures yet" not in reason else ""
    return f"Precinct {e.p} held by {who}: {reason}{none_yet}"


def _resolved(e: _Entry) -> str:
    if e.actor == "system" or not e.actor:
        return f"{_item(e).capitalize()} closed itself: {e.d.get('note') or 'no note'}"
    return f"{e.actor} resolved {_item(e)}: {e.d.get('note') or 'no note'}"


def _released_item(e: _Entry) -> str:
    if e.d.get("dial_status"):
        return f"{_item(e).capitalize()} back in the queue: the call-back to {e.phone} ended {e.d['dial_status']}"
    return f"{e.staff} gave {_item(e)} back to the queue"


def _rejected(e: _Entry) -> str:
    d = e.d
    if d.get("entered_by") and d.get("entered_by") == e.actor:
        return f"{e.staff} withdrew their entry for {e.p}: {d.get('reason')}"
    return f"{e.staff} rejected {d.get('entered_by') or 'a staff member'}'s entry for {e.p}: {d.get('reason')}"


def _opted(e: _Entry, out: bool) -> str:
    how = {"text": "texted an opt-out word" if out else "texted START",
           "twilio_21610": "Twilio error 21610"}.get(str(e.d.get("source")), str(e.d.get("source") or "marked"))
    chair = f"; chair of {value_text(e.d.get('registered'))}" if e.d.get("registered") else ""
    return f"{e.phone} opted {'out of' if out else 'back in to'} texts ({how}){chair}"


def _photo_marked(e: _Entry) -> str:
    d = e.d
    outcome = str(d.get("outcome") or "not checked").replace("_", " ")
    was = f" (was {str(d['previous']).replace('_', ' ')})" if d.get("previous") else ""
    why = f": {d['reason']}" if d.get("reason") else ""
    who = e.actor or "the hotline"
    return f"Worksheet photo #{d.get('photo_id')} for {e.p} marked {outcome} by {who}{was}{why}"


def _log_verified(e: _Entry) -> str:
    d = e.d
    state = "intact" if d.get("ok") else f"broken at entry {d.get('broken_seq')}"
    text = f"{e.staff} verified the log: {state}"
    if d.get("checkpoint_size") is not None:
        text += (f"; it {'extends' if d.get('extends_checkpoint') else 'does NOT extend'} the signed "
                 f"checkpoint of {d['checkpoint_size']} entries")
    return text


def _login(e: _Entry) -> str:
    known = " on a known browser" if e.d.get("device") else ""
    return f"{e.staff} signed in ({e.d.get('role')}) from {e.d.get('remote')}{known}"


def _changed_account(e: _Entry) -> str:
    changes = {k: v for k, v in e.d.items() if k != "username"}
    return f"{e.staff} changed the account {e.d['username']}: {fallback(changes) or 'no change'}"


def _blast(e: _Entry) -> str:
    d = e.d
    what = str(d.get("blast_kind") or "text").replace("_", " ")
    text = f" {_quote(d['text'])}" if d.get("text") else ""
    return (f"{e.staff} sent a {what} (#{d.get('blast_id')}) to {d.get('recipients')} phones, "
            f"{d.get('segments')} segments{text}")


def _rejected_traffic(e: _Entry) -> str:
    d = e.d
    counts = d.get("counts") or {}
    by = "; ".join(f"{path}: {value_text(reasons)}" for path, reasons in counts.items())
    return f"{d['total']} webhook requests refused in the minute from {d.get('minute')}" + (f" ({by})" if by else "")


def _differences(rows: Any) -> str:
    """ "League: first alignment Pete chair 3, observed 4; ..." from a conflict's rows."""
    return "; ".join(f"{r.get('organisation')}: {_stage_label(str(r.get('stage')))} {r.get('candidate')} "
                     f"chair {value_text(r.get('chair'))}, observed {value_text(r.get('observed'))}"
                     for r in rows or [])


def _conflict(e: _Entry) -> str:
    after = f" (after a new {e.d['trigger']})" if e.d.get("trigger") else ""
    return f"An observer's counts differ from the chair's for {e.p}{after}: {_differences(e.d.get('differences'))}"


_SENTENCES: dict[str, Callable[[_Entry], str]] = {
    # A chair's texts and calls
    "sms_received": lambda e: (f"Text received from {'observer ' if e.d.get('observer') else ''}{e.phone}" + (f" for {e.precinct}" if e.precinct else "")
                               + f": {_quote(e.d.get('body'))}"
                               + (f" with {e.d['media']} photo(s)" if e.d.get("media") else "")
                               + ("" if e.d.get("registered") else " (phone not on the roster)")),
    "sms_unparsed": lambda e: f"Text from {e.phone} for {e.p} could not be read: {value_text(e.d.get('problems'))}",
    "sender_unknown": lambda e: f"Text from {e.phone}, which is not on the roster",
    "sender_mismatch": lambda e: f"{e.phone} is not a registered phone of {e.p}",
    "sender_throttled": lambda e: (f"Texts from {e.phone} held back: over the allowance of {e.d.get('limit')}"
                                   + ("" if e.d.get("registered") else " (phone not on the roster)")),
    "code_sent": _code_sent,
    "code_checked": _code_checked,
    "report_confirmed": _report_confirmed,
    "report_superseded": lambda e: (f"{e.p} {_stage_label(str(e.d.get('stage')))} report #{e.d.get('report_id')} "
                                    f"replaced by report #{e.d.get('superseded_by')}"),
    "report_explained": lambda e: (f"{e.staff} explained {e.p}'s flagged report: {e.d.get('note')} "
                                   f"({_checks(e.d.get('findings'))})"),
    "report_cancelled": lambda e: f"{e.phone} cancelled the unconfirmed report for {e.p} (submission {e.d.get('submission_id')})",
    "report_repeated": lambda e: (f"{e.phone} texted the same report for {e.p} again; read-back sent again: "
                                  f"{value_text(e.d.get('resent'))}; still on its way: {value_text(e.d.get('waiting'))}"),
    "chair_done": lambda e: (f"Chair of {e.p} said they are done; stages missing: {value_text(e.d.get('missing'))}; "
                             f"{_checks(e.d.get('findings'))}"),
    "callback_requested": lambda e: (f"{e.phone} asked for a call back" + (f" for {e.precinct}" if e.precinct else "")
                                     + f" (by {e.d.get('channel') or 'text'})"),
    "photo_saved": lambda e: f"{e.d.get('photos')} worksheet photo(s) from {e.phone} added to {e.p}'s report",
    "coin_toss_refused": lambda e: f"Coin toss text from {e.phone} for {e.p} refused: {e.d.get('reason')}",
    "pin_checked": lambda e: f"PIN for {e.p} from {e.phone}: {_yes_no(e.d.get('ok'))}",
    "pin_refused": lambda e: f"PIN try for {e.p} from {e.phone} refused ({str(e.d.get('reason')).replace('_', ' ')})",
    "call_received": lambda e: (f"Call from {e.phone}" + ("" if e.d.get("registered") else " (not on the roster)")),
    "call_flood_limited": lambda e: f"Calls from {e.phone} turned away: {e.d.get('calls_this_hour')} calls this hour",
    "staff_line_pin": lambda e: f"Staff line PIN from {e.phone}: {_yes_no(e.d.get('ok'))}",
    "opted_out": lambda e: _opted(e, True),
    "opted_in": lambda e: _opted(e, False),
    "reply_loop_detected": lambda e: (f"Automatic replies to {e.phone} paused until {e.d.get('held_until')}: "
                                      f"an auto-responder answered them"),
    # Observers (a second source of counts)
    "observation_code_sent": lambda e: (f"Read-back code sent to observer {e.phone} ({e.d.get('organisation')}) "
                                        f"for {e.p} ({_stages(e.d.get('stages'))})"),
    "observation_confirmed": lambda e: (f"Observer {e.phone} ({e.d.get('organisation')}) confirmed counts for {e.p} "
                                        f"({_stages(e.d.get('stages'))})"
                                        + (f"; attendance {e.d['attendance']}" if e.d.get("attendance") is not None
                                           else "")),
    "observation_cancelled": lambda e: f"Observer {e.phone} cancelled unconfirmed counts for {e.p}",
    "observation_refused": lambda e: (f"Counts from observer {e.phone} ({e.d.get('organisation')})"
                                      + (f" for {e.precinct}" if e.precinct else "") + f" refused: {e.d.get('reason')}"),
    "observer_text_refused": lambda e: (f"Text from observer {e.phone} refused: observers may only send counts "
                                        f"(it read as {e.d.get('command')})"),
    "source_conflict": _conflict,
    "source_conflict_cleared": lambda e: (f"The sources agree again for {e.p}"
                                          + (f" (after a new {e.d['trigger']})" if e.d.get("trigger") else "")
                                          + (f": {value_text(e.d.get('agreeing'))}" if e.d.get("agreeing") else "")),
    "source_conflict_resolved": lambda e: (f"{e.staff} confirmed the chair's figures for {e.p} against the "
                                           f"observer's: {e.d.get('note')}"),
    "observer_added": lambda e: (f"{e.staff} added the observer {e.d.get('name')} ({e.d.get('organisation')}) for "
                                 f"{value_text(e.d.get('precincts'))}"),
    "observer_removed": lambda e: f"{e.staff} removed the observer {e.d.get('name')} ({e.d.get('organisation')})",
    "observers_imported": lambda e: (f"{e.staff} imported {e.d.get('count')} observers ({e.d.get('created')} new, "
                                     f"{e.d.get('updated')} updated)"),
    # Staff
    "staff_entered": lambda e: (f"{e.staff} entered results for {e.p}: "
                                f"{_figures(e.d.get('stages') or {}, e.d.get('attendance'))}; waits for approval; "
                                f"{_checks(e.d.get('findings'))}"),
    "staff_approved": lambda e: (f"{e.staff} approved {e.d.get('entered_by')}'s entry for {e.p} "
                                 f"(submission {e.d.get('submission_id')})"),
    "staff_rejected": _rejected,
    "staff_sms": lambda e: f"{e.staff} texted {e.phone}: {_quote(e.d.get('body'))}",
    "staff_call_requested": lambda e: (f"{e.staff} called {e.phone}" + (f" for {e.precinct}" if e.precinct else "")
                                       + f" (their phone {e.d.get('staff_phone')} rings first)"),
    "staff_call_bridged": lambda e: f"Staff call connected to {e.phone}",
    "callback_dialled": lambda e: (f"{e.staff} rang {e.phone} back" + (f" for {e.precinct}" if e.precinct else "")
                                   + f" after {e.d.get('waited_seconds')} s waiting"),
    "worksheet_entered": lambda e: (f"{e.staff} copied the paper worksheet for {e.p}: " + _figures(
        {k: e.d[k] for k in ("first", "final", "delegates") if e.d.get(k)}, e.d.get("attendance"))),
    "coin_toss_recorded": lambda e: (f"Coin toss for {e.p} recorded by {e.actor or e.phone} "
                                     f"({e.d.get('channel')}): {value_text(e.d.get('winners'))} won"
                                     + (f" (was {value_text(e.d['replaces'])})" if e.d.get("replaces") else "")),
    "photo_marked": _photo_marked,
    "precinct_held": _held,
    "precinct_released": lambda e: f"Hold on {e.p} released by {e.staff}: {e.d.get('note')}",
    "hold_release_refused": lambda e: (f"{e.staff} tried to release their own hold on {e.p}: refused, another "
                                       f"staff member must release it"),
    "pin_slowdown_cleared": lambda e: (f"{e.staff} cleared the PIN slow-down for {e.p}"
                                       + ("" if e.d.get("was_slowed") else " (none was on)")),
    "pin_pause_cleared": lambda e: (f"{e.staff} ended the statewide pause of PIN tries"
                                    + ("" if e.d.get("was_paused") else " (none was on)")),
    # Work items
    "backlog_opened": lambda e: f"{_item(e).capitalize()} opened: {e.d.get('summary')}",
    "backlog_claimed": lambda e: f"{e.staff} took {_item(e)}",
    "backlog_released": _released_item,
    "backlog_resolved": _resolved,
    "backlog_note_added": lambda e: f"{e.staff} added a note to closed {_item(e)}: {e.d.get('note')}",
    # Accounts, imports, messages to many
    "login": _login,
    "login_failed": lambda e: (f"Sign-in as {e.actor} refused ({str(e.d.get('reason')).replace('_', ' ')}) "
                               f"from {e.d.get('remote')}"),
    "logout": lambda e: f"{e.staff} signed out everywhere",
    "staff_user_created": lambda e: f"{e.staff} created the account {e.d['username']} ({e.d.get('role')})",
    "staff_user_changed": _changed_account,
    "canned_reply_created": lambda e: (f"{e.staff} added the canned reply #{e.d.get('reply_id')} "
                                       f"{_quote(e.d.get('title'))} ({e.d.get('language')})"),
    "canned_reply_changed": lambda e: (f"{e.staff} changed the canned reply #{e.d.get('reply_id')}: "
                                       + fallback({k: v for k, v in e.d.items() if k != "reply_id"})),
    "canned_reply_deleted": lambda e: f"{e.staff} deleted the canned reply #{e.d.get('reply_id')} {_quote(e.d.get('title'))}",
    "roster_imported": lambda e: f"{e.staff} imported the roster ({e.d.get('rows')} rows)",
    "counties_imported": lambda e: f"{e.staff} imported the counties ({e.d.get('rows')} rows)",
    "candidates_imported": lambda e: f"{e.staff} imported the candidates: {value_text(e.d.get('names'))}",
    "blast_sent": _blast,
    "blast_cancelled": lambda e: f"{e.staff} cancelled blast #{e.d.get('blast_id')}; {e.d.get('unsent')} texts not sent",
    # The hotline on its own
    "stage_missing": lambda e: f"{e.p} still misses: {_stages(e.d.get('missing'))}",
    "sms_send_settled": lambda e: f"Text #{e.d.get('outbound_id')} to {e.phone}: {e.d.get('outcome')}",
    "sms_send_failed": lambda e: (f"Text #{e.d.get('outbound_id')} to {e.phone} could not be sent: "
                                  f"{e.d.get('error')} (code {e.d.get('code')})"),
    "sms_undelivered": lambda e: (f"Text #{e.d.get('outbound_id')} to {e.phone} was not delivered: "
                                  f"{e.d.get('status')} (code {e.d.get('code')})"),
    "photo_stored": lambda e: (f"Worksheet photo #{e.d.get('photo_id')} from {e.phone} for {e.p} stored "
                               f"({e.d.get('type')}, {e.d.get('bytes')} bytes)"),
    "photo_refused": lambda e: (f"Worksheet photo #{e.d.get('photo_id')} from {e.phone} for {e.p} refused: "
                                f"{e.d.get('reason')}" + (f" ({e.d['detail']})" if e.d.get("detail") else "")),
    "photo_failed": lambda e: (f"Worksheet photo #{e.d.get('photo_id')} from {e.phone} for {e.p} could not be "
                               f"downloaded: {e.d.get('error')}"),
    "pin_paused": lambda e: f"PIN tries from unregistered phones paused until {e.d.get('until')} after many wrong PINs",
    "job_requeued": lambda e: f"{e.staff} put the failed job {e.d.get('job')} back on the {e.d.get('queue')} queue",
    "job_deleted": lambda e: f"{e.staff} deleted the failed job {e.d.get('job')} from the {e.d.get('queue')} queue",
    "job_failed": lambda e: f"Background job {e.d.get('job')} failed for row {e.d.get('row_id')}: {e.d.get('error')}",
    "inbound_reconciled": lambda e: f"{e.d['count']} texts the webhook missed were fetched from Twilio",
    "webhooks_rejected": _rejected_traffic,
    "log_verified": _log_verified,
    "log_rewrite_detected": lambda e: f"The log no longer extends its signed checkpoint: {e.d.get('problem')}",
}

KINDS = frozenset(_SENTENCES)
