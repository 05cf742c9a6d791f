"""What the hotline says back to chairs by SMS: short, plain, one clear next step.

Every sentence is English source text marked for the message catalog (`hotline.domain.languages`):
functions translate as they build a reply, and the named texts below (HELP, WRONG_PIN, ...) are
given in the current language each time they are read (`sms.HELP` is English or Spanish as the
chair's language is). Spanish texts stay GSM-7: n with tilde, e acute, u diaeresis and the
inverted marks are in the GSM alphabet; a, i, o, u with an acute accent are not, so they are
written plain.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from hotline.domain.languages import N_, Texts, _
from hotline.domain.model import Stage
from hotline.domain.numbers import FRACTION, NEGATIVE, SPELLED, TOO_BIG

STAGE_LABELS = Texts({Stage.FIRST: N_("First alignment"), Stage.FINAL: N_("Final alignment"),
                      Stage.DELEGATES: N_("County delegates")})


def label(stage: Stage) -> str:
    """A stage's name (`First alignment`) in the current language."""
    return STAGE_LABELS[stage]


def lower_label(stage: Stage) -> str:
    """A stage's name inside a sentence (`first alignment`)."""
    return label(stage).lower()


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def format_counts(counts: Mapping[str, int]) -> str:
    """`Biden 12, Buttigieg 45 (total 57)`."""
    parts = ", ".join(f"{name} {n}" for name, n in counts.items())
    return _("{parts} (total {total})").format(parts=parts, total=sum(counts.values())) if counts \
        else _("(nothing)")


def readback(precinct: str, sections: Sequence[tuple[Stage, Mapping[str, int]]],
             attendance: int | None, code: str, warning: str = "", updated: bool = False,
             coin: Sequence[Sequence[str]] = (), checked_with: str = "") -> str:
    """The read-back of exactly what was understood, ending with the confirmation code (and, when
    the delegate math leaves a coin toss, the question who won it)."""
    head = (_("{precinct} updated read-back:") if updated else _("{precinct} read-back:")).format(precinct=precinct)
    lines = [head] + [f"{label(stage)}: {format_counts(counts)}" for stage, counts in sections]
    if attendance is not None:
        lines.append(_("Attendance: {n}").format(n=attendance))
    if warning:
        lines.append(_("CHECK: {warning}").format(warning=warning))
        if checked_with:
            lines.append(checked_with)
        lines.append(_("Reply YES {code} to confirm as written, or send the corrected numbers.").format(code=code))
    else:
        lines.append(_("Reply YES {code} to confirm, or send corrected numbers.").format(code=code))
    if coin:
        lines.append(coin_question(coin))
    return "\n".join(lines)


def _names(names: Sequence[str]) -> str:
    return _and(list(names))


def coin_question(ties: Sequence[Sequence[str]]) -> str:
    """Asked in a read-back whose delegate math leaves a coin toss."""
    between = "; ".join(_names(groups) for groups in ties)
    return _("Coin toss between {between}: who won? Text COIN and the name, e.g. COIN {example}").format(
        between=between, example=ties[0][0])


def coin_recorded(precinct: str, winners: Sequence[str], problem: str = "") -> str:
    """A coin toss is recorded (and, when the delegates sent contradict it, what to check)."""
    text = _("{precinct}: coin toss recorded: {winners} won.").format(precinct=precinct, winners=_names(winners))
    if problem:
        text += " " + _("It does not fit the delegates sent: {problem} Not published yet; hotline staff will "
                        "call you.").format(problem=problem)
    return text + " " + _("If that is wrong, text COIN and the right name.")


def coin_refused(precinct: str | None, why: str, example: str | None = None) -> str:
    """A COIN text that records nothing, and why."""
    head = f"{precinct}: " if precinct else ""
    hint = " " + _("Text COIN and the winner, e.g. COIN {example}.").format(example=example) if example else ""
    return f"{head}{why[0].upper()}{why[1:]}.{hint} " + _("Nothing was recorded.")


def coin_no_delegates(precinct: str) -> str:
    return _("{precinct}: no county delegates are recorded yet, so there is no coin toss to record. "
             "Send the delegates and reply YES first. Nothing was recorded.").format(precinct=precinct)


def coin_which_precinct(codes: Sequence[str]) -> str:
    return _("This phone is registered for more than one precinct ({codes}). Start with the "
             "precinct code, e.g. '{first} COIN Sanders'. Nothing was recorded.").format(
                 codes=", ".join(codes), first=codes[0])


def callback_code_request(precinct: str, sender_tail: str, sections: Sequence[tuple[Stage, Mapping[str, int]]],
                          code: str) -> str:
    """Sent to the chair's registered phone when a report came from another phone."""
    stages = "; ".join(f"{label(s)}: {format_counts(c)}" for s, c in sections)
    return _("Caucus hotline: a report for {precinct} came from a phone ending {tail}: {stages}. If it is "
             "right, reply YES {code} from this phone. If not, ignore this.").format(
                 precinct=precinct, tail=sender_tail, stages=stages, code=code)


def callback_code_sent(precinct: str, registered_tail: str) -> str:
    return _("PIN accepted for {precinct}. We texted a code to the chair's registered phone "
             "ending {tail}. Reply YES and the code from that phone, or read it to "
             "hotline staff. Nothing is recorded until then.").format(precinct=precinct, tail=registered_tail)


def recorded(precinct: str, stages: Iterable[Stage], missing: Iterable[Stage], flagged: str = "") -> str:
    done = ", ".join(lower_label(s) for s in stages)
    text = _("Recorded for {precinct}: {stages}.").format(precinct=precinct, stages=done)
    todo = [lower_label(s) for s in missing]
    if todo:
        text += " " + _("Still to send: {stages}.").format(stages=", ".join(todo))
    if flagged:
        # Not "thank you, all done": a person must reach the chair before this counts.
        return text + " " + _("But it does not add up: {why} It is not published yet. Please keep your "
                              "phone on: hotline staff will call you about it.").format(why=flagged)
    return text + ("" if todo else " " + _("All three stages are in. Thank you!"))


def code_already_used(precinct: str, stages: Iterable[Stage], waiting: bool) -> str:
    done = ", ".join(lower_label(s) for s in stages)
    text = _("That code was already used: it confirmed {precinct} {stages}.").format(precinct=precinct, stages=done)
    if waiting:
        return text + " " + _("Another read-back waits for you: reply YES and the code from that one.")
    return text + " " + _("Nothing more to do for it. Text STATUS to see everything recorded.")


def parse_problems(errors: Sequence[str]) -> str:
    shown = " ".join(errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return _("Sorry, I could not read that: {problems} Nothing was recorded. "
             "Text HELP for the format, or CALL for a call back.").format(problems=shown + more)


def pin_refused(code: str, reason: str, minutes: int, registered_phone: bool) -> str:
    """Why a PIN try was refused, and what the chair can do instead (the same for a right PIN)."""
    return (PIN_REFUSED[reason].format(code=code, minutes=minutes)
            + (_TEXTS["PIN_WAY_THROUGH"] if registered_phone else _TEXTS["PIN_WAY_THROUGH_STAFF"]))


def tries(left: int) -> str:
    """'1 try' / '2 tries'."""
    return _("{n} try").format(n=left) if left == 1 else _("{n} tries").format(n=left)


def status(precinct: str, lines: Sequence[str]) -> str:
    return f"{precinct}: " + " ".join(lines)


def status_stage(label: str, counts: Mapping[str, int] | None) -> str:
    """One stage's line in the STATUS answer."""
    label = _(label)  # a stage's English label (Stage.label) as the chair reads it
    return f"{label}: {format_counts(counts)}." if counts is not None else _("{stage}: not yet.").format(stage=label)


def status_waiting(n: int) -> str:
    return _("{n} report(s) waiting for your YES code.").format(n=n)


def done_waiting(precinct: str) -> str:
    return _("{precinct}: a read-back is still waiting for your YES and its code.").format(precinct=precinct)


def done_missing(precinct: str, missing: Iterable[Stage]) -> str:
    return _("{precinct} is missing: {stages}. Please send it.").format(
        precinct=precinct, stages=", ".join(lower_label(m) for m in missing))


def done_complete(precinct: str) -> str:
    return _("{precinct}: all three stages are recorded. Thank you!").format(precinct=precinct)


def checked_with(stages: Sequence[tuple[Stage, int]], attendance: int | None) -> str:
    """Under a read-back's CHECK: which figures in it come from earlier confirmed reports."""
    parts = [_("{stage} (total {total})").format(stage=lower_label(stage), total=total) for stage, total in stages]
    if attendance is not None:
        parts.append(_("attendance {n}").format(n=attendance))
    if not parts:
        return ""
    return _("Checked against what you recorded before: {figures}.").format(figures=_and(parts))


def flagged_stage(line: str) -> str:
    """A STATUS line for a recorded stage that failed a check."""
    mark = _(" - FLAGGED.")
    return line[:-1] + mark if line.endswith(".") else line + mark


def flagged_why(stages: Sequence[Stage], why: str) -> str:
    """Why recorded stages are flagged, and what happens now (STATUS and DONE)."""
    names = ", ".join(lower_label(stage) for stage in stages) or _("the report")
    return _("Flagged, not counted yet ({stages}): {why} Hotline staff will call you; or send the "
             "corrected numbers.").format(stages=names, why=why)


def explained(precinct: str, note: str) -> str:
    """Staff explained a flagged report (a coin toss, say): it counts now."""
    return _("Hotline staff reviewed the {precinct} report: {note}. It is now counted. Thank you.").format(
        precinct=precinct, note=note[:100])


def staff_recorded(precinct: str, stages: Sequence[tuple[Stage, Mapping[str, int]]]) -> str:
    """What staff recorded in the chair's name, so a wrong entry is noticed."""
    text = "; ".join(f"{label(stage)}: {format_counts(counts)}" for stage, counts in stages)
    return _("Caucus hotline staff recorded for {precinct}: {stages}. If this is wrong, text the right "
             "numbers or call the hotline.").format(precinct=precinct, stages=text)


def identity_code(precinct: str, code: str) -> str:
    """A code for the chair to read out to the staff member on the phone with them."""
    return _("Caucus hotline code for {precinct}: {code}. Read it to the hotline staff member you are "
             "speaking with. If nobody from the hotline is, ignore this.").format(precinct=precinct, code=code)


def incomplete_reminder(precinct: str, missing: Iterable[Stage]) -> str:
    return _("We have part of the {precinct} report but not the {stages}. Please text it, or call the "
             "hotline.").format(precinct=precinct, stages=", ".join(lower_label(m) for m in missing))


def blast_reminder(codes: Sequence[str], missing: Iterable[Stage]) -> str:
    """The reminder a blast sends: no report at all, or the stages still missing."""
    stages = [lower_label(m) for m in missing]
    if not stages or len(stages) == len(Stage):
        return _TEXTS["BLAST_NO_REPORT"].format(codes=", ".join(codes))
    return _TEXTS["BLAST_STAGES_MISSING"].format(codes=", ".join(codes), stages=_and(stages))


# The named texts: read as `sms.NAME` (module __getattr__), each in the current language.
_TEXTS = Texts({
    "EXAMPLE": N_("first: Biden 12, Pete 45, Warren 30"),
    "COIN_NOT_REGISTERED": N_("Only the chair's registered phone can record a coin toss for {code}. Text it from "
                              "that phone, or text CALL and hotline staff will record it. Nothing was recorded."),
    "HELP": N_("Caucus hotline. Text your results, e.g. 'first: Biden 12, Pete 45', then 'final: ...', "
               "then 'delegates: Pete 3, Sanders 2' (one text or several). Add 'att 123' for attendance. "
               "We read it back with a code; reply YES and the code to confirm. STATUS shows what we "
               "have, NO drops an unconfirmed report, DONE when finished, CALL for a call back, "
               "COIN and a name for who won a coin toss."),
    "UNREGISTERED": N_("This phone is not registered to a precinct. Start with your precinct code and "
                       "PIN, e.g. 'DSM-42 PIN 1234 first: Biden 12, Pete 45'. We will text a code to the "
                       "chair's registered phone."),
    "WHICH_PRECINCT": N_("This phone is registered for more than one precinct ({codes}). Start the text "
                         "with the precinct code, e.g. '{first} first: Biden 12'."),
    "NOT_YOUR_PRECINCT": N_("This phone is not registered for {code}. Add the PIN for {code}, e.g. "
                            "'{code} PIN 1234 ...', and we will text a code to its chair's phone."),
    "WRONG_PIN": N_("That PIN is not right for {code}. Nothing was recorded. {left} left."),
    "PIN_WAY_THROUGH": N_(" Nothing was recorded. We will call the chair's registered phone. Or text from "
                          "that phone: no PIN needed."),
    "PIN_WAY_THROUGH_STAFF": N_(" Nothing was recorded. Hotline staff will call the chair."),
    "NEED_CODE": N_("Please reply YES and the 4-digit code from the read-back, e.g. YES 4821."),
    "NOTHING_PENDING": N_("Nothing is waiting for confirmation from this phone. Send your results first, or HELP."),
    "WRONG_CODE": N_("That code does not match. {left} left. Check the read-back and reply YES and its code."),
    "CODE_REPLACED": N_("That code is from an older read-back, which your newer text replaced. Reply YES "
                        "and the code from the newest read-back."),
    "CHATTER_PENDING": N_("Got your message. Nothing changes until you reply YES and the code from the "
                          "read-back. Text CALL if you need a person."),
    "CODE_LOCKED": N_("Too many wrong codes; that report was not recorded. Hotline staff will call you. "
                      "You can also send the results again for a new code."),
    "CODE_EXPIRED": N_("That code has expired. Send the results again and we will send a new code."),
    "CANCELLED": N_("Cancelled: the unconfirmed report for {code} was dropped. Nothing was recorded."),
    "NOTHING_TO_CANCEL": N_("There is no unconfirmed report to cancel."),
    "PHOTO_SAVED": N_("Photo saved with the {code} report. Thank you."),
    # A photo we could not keep: not a picture (a video, a document) or over the size limit.
    "PHOTO_REFUSED": N_("Your photo for {code} could not be used: it is not a picture or is over {limit}. "
                        "Text a photo of the signed worksheet."),
    # Staff could not read a stored worksheet photo against the report: ask the chair for another.
    "PHOTO_UNREADABLE": N_("Hotline: we could not read the worksheet photo for {code}. Please text a new, clear "
                           "photo of the signed worksheet."),
    "PHOTO_ALONE": N_("Photo received. Please also text the numbers, e.g. 'first: Biden 12, Pete 45, Warren 30'."),
    "CALL_BACK": N_("A hotline staff member will call this number (ending {tail}). Please keep your phone "
                    "on. You can still text your results meanwhile."),
    "NEED_STAGE": N_("Which count is this: first, final or delegates? Start the text with that word, e.g. "
                     "'first: Biden 12, Pete 45, Warren 30'."),
    "UNKNOWN_PRECINCT": N_("I don't know precinct {code}. Check the code on your worksheet."),
    "NO_NUMBERS": N_("I found no numbers."),
    "NO_REGISTERED_PHONE": N_("PIN accepted, but this precinct has no registered phone. Hotline staff will "
                              "call you."),
    "THROTTLED": N_("We have received many texts from this phone. Hotline staff will call you; please wait "
                    "for them."),
    "SYSTEM_ERROR": N_("We received your text but could not process it. Hotline staff have it and will "
                       "contact you."),
    # What the parser says is wrong with a text: each ends with what to send instead.
    "EMPTY": N_("The message was empty."),
    "NO_RESULTS": N_("I found no results in it - send them like: first: {name} 45."),
    "TOO_LONG": N_("The message is too long - send one stage per text."),
    "OPTED_OUT": N_("{token} turns off texts from the hotline - reply START to turn them back on."),
    "PIN_MISSING": N_("{token} has no digits after it - send it like: PIN 1234."),
    "NOT_A_PRECINCT": N_("I don't know precinct {code} - check the code on your worksheet."),
    "TWO_PRECINCTS": N_("Two precinct codes ({first}, {second}) - send one."),
    "AMBIGUOUS": N_("{token} could be {names} - use the last name."),
    "UNKNOWN": N_("I don't know the name {token} - check the spelling or use the last name."),
    "UNKNOWN_LIKE": N_("I don't know the name {token} - did you mean {name}?"),
    "NO_NUMBER": N_("{token} has no number next to it - send it like: {name} 30."),
    "NO_NAME": N_("{token} has no name next to it - send it like: {name} {token_bare}."),
    "DUPLICATE": N_("{name} is given twice ({first}, {second}) - send one number."),
    "ATTENDANCE_TWICE": N_("Attendance is given twice ({first}, {second}) - send one number."),
    "STAGE_EMPTY": N_("{token} has no counts after it - send them like: {stage.value}: {name} 30."),
    # Reminder blasts to precincts still missing results (staff send them from the console's Missing
    # page or `hotline remind`). GSM-7 only, each one segment (under 160 characters) for one precinct.
    "BLAST_NO_REPORT": N_("Caucus hotline: no results for {codes} yet. When your caucus is done, text them "
                          "here, like: first: Warren 30. Or call us."),
    "BLAST_STAGES_MISSING": N_("Caucus hotline: {codes} still needs the {stages}. Please text it here when "
                               "ready, or call us."),
})
# A PIN try refused (a phone locked, a precinct slowed, or a statewide pause), then the way through.
PIN_REFUSED = Texts({
    "phone": N_("Too many wrong PINs from this phone."),
    "slowed": N_("{code}: too many wrong PINs, so 1 try per {minutes} min."),
    "paused": N_("PIN tries are paused for now: too many wrong PINs."),
})
NUMBER_PROBLEMS = Texts({
    NEGATIVE: N_("{token} is negative - counts start at 0."),
    FRACTION: N_("{token} is not a whole number - send whole numbers only."),
    TOO_BIG: N_("{token} is too big for one precinct - check the number."),
    SPELLED: N_("{token} is spelled out - send it in digits{hint}."),
})
NAMES = tuple(_TEXTS)


def __getattr__(name: str) -> str:
    """`sms.HELP` and the other named texts, in the current language."""
    if name in _TEXTS.source:
        return _TEXTS[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
