"""What the hotline says back to chairs by SMS: short, plain ASCII, one clear next step."""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from hotline.domain.model import Stage
from hotline.domain.numbers import FRACTION, NEGATIVE, SPELLED, TOO_BIG

EXAMPLE = "first: Biden 12, Pete 45, Warren 30"


def format_counts(counts: Mapping[str, int]) -> str:
    """`Biden 12, Buttigieg 45 (total 57)`."""
    parts = ", ".join(f"{name} {n}" for name, n in counts.items())
    return f"{parts} (total {sum(counts.values())})" if counts else "(nothing)"


def readback(precinct: str, sections: Sequence[tuple[Stage, Mapping[str, int]]],
             attendance: int | None, code: str, warning: str = "", updated: bool = False,
             coin: Sequence[Sequence[str]] = (), checked_with: str = "") -> str:
    """The read-back of exactly what was understood, ending with the confirmation code (and, when
    the delegate math leaves a coin toss, the question who won it)."""
    head = f"{precinct} {'updated ' if updated else ''}read-back:"
    lines = [head] + [f"{stage.label}: {format_counts(counts)}" for stage, counts in sections]
    if attendance is not None:
        lines.append(f"Attendance: {attendance}")
    if warning:
        lines.append(f"CHECK: {warning}")
        if checked_with:
            lines.append(checked_with)
        lines.append(f"Reply YES {code} to confirm as written, or send the corrected numbers.")
    else:
        lines.append(f"Reply YES {code} to confirm, or send corrected numbers.")
    if coin:
        lines.append(coin_question(coin))
    return "\n".join(lines)


def _names(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def coin_question(ties: Sequence[Sequence[str]]) -> str:
    """Asked in a read-back whose delegate math leaves a coin toss."""
    between = "; ".join(_names(groups) for groups in ties)
    return (f"Coin toss between {between}: who won? Text COIN and the name, e.g. COIN {ties[0][0]}")


def coin_recorded(precinct: str, winners: Sequence[str], problem: str = "") -> str:
    """A coin toss is recorded (and, when the delegates sent contradict it, what to check)."""
    text = f"{precinct}: coin toss recorded: {_names(winners)} won."
    if problem:
        text += f" It does not fit the delegates sent: {problem} Not published yet; hotline staff will call you."
    return text + " If that is wrong, text COIN and the right name."


def coin_refused(precinct: str | None, why: str, example: str | None = None) -> str:
    """A COIN text that records nothing, and why."""
    head = f"{precinct}: " if precinct else ""
    hint = f" Text COIN and the winner, e.g. COIN {example}." if example else ""
    return f"{head}{why[0].upper()}{why[1:]}.{hint} Nothing was recorded."


def coin_no_delegates(precinct: str) -> str:
    return (f"{precinct}: no county delegates are recorded yet, so there is no coin toss to record. "
            "Send the delegates and reply YES first. Nothing was recorded.")


def coin_which_precinct(codes: Sequence[str]) -> str:
    return (f"This phone is registered for more than one precinct ({', '.join(codes)}). Start with the "
            f"precinct code, e.g. '{codes[0]} COIN Sanders'. Nothing was recorded.")


COIN_NOT_REGISTERED = ("Only the chair's registered phone can record a coin toss for {code}. Text it from "
                       "that phone, or text CALL and hotline staff will record it. Nothing was recorded.")


def callback_code_request(precinct: str, sender_tail: str, sections: Sequence[tuple[Stage, Mapping[str, int]]],
                          code: str) -> str:
    """Sent to the chair's registered phone when a report came from another phone."""
    stages = "; ".join(f"{s.label}: {format_counts(c)}" for s, c in sections)
    return (f"Caucus hotline: a report for {precinct} came from a phone ending {sender_tail}: "
            f"{stages}. If it is right, reply YES {code} from this phone. If not, ignore this.")


def callback_code_sent(precinct: str, registered_tail: str) -> str:
    return (f"PIN accepted for {precinct}. We texted a code to the chair's registered phone "
            f"ending {registered_tail}. Reply YES and the code from that phone, or read it to "
            "hotline staff. Nothing is recorded until then.")


def recorded(precinct: str, stages: Iterable[Stage], missing: Iterable[Stage], flagged: str = "") -> str:
    done = ", ".join(s.label.lower() for s in stages)
    text = f"Recorded for {precinct}: {done}."
    todo = [s.label.lower() for s in missing]
    if todo:
        text += f" Still to send: {', '.join(todo)}."
    if flagged:
        # Not "thank you, all done": a person must reach the chair before this counts.
        return text + (f" But it does not add up: {flagged} It is not published yet. Please keep your "
                       "phone on: hotline staff will call you about it.")
    return text + ("" if todo else " All three stages are in. Thank you!")


def code_already_used(precinct: str, stages: Iterable[Stage], waiting: bool) -> str:
    done = ", ".join(s.label.lower() for s in stages)
    text = f"That code was already used: it confirmed {precinct} {done}."
    if waiting:
        return text + " Another read-back waits for you: reply YES and the code from that one."
    return text + " Nothing more to do for it. Text STATUS to see everything recorded."


def parse_problems(errors: Sequence[str]) -> str:
    shown = " ".join(errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return (f"Sorry, I could not read that: {shown}{more} Nothing was recorded. "
            "Text HELP for the format, or CALL for a call back.")


HELP = ("Caucus hotline. Text your results, e.g. 'first: Biden 12, Pete 45', then 'final: ...', "
        "then 'delegates: Pete 3, Sanders 2' (one text or several). Add 'att 123' for attendance. "
        "We read it back with a code; reply YES and the code to confirm. STATUS shows what we "
        "have, NO drops an unconfirmed report, DONE when finished, CALL for a call back, "
        "COIN and a name for who won a coin toss.")

UNREGISTERED = ("This phone is not registered to a precinct. Start with your precinct code and "
                "PIN, e.g. 'DSM-42 PIN 1234 first: Biden 12, Pete 45'. We will text a code to the "
                "chair's registered phone.")

WHICH_PRECINCT = ("This phone is registered for more than one precinct ({codes}). Start the text "
                  "with the precinct code, e.g. '{first} first: Biden 12'.")

NOT_YOUR_PRECINCT = ("This phone is not registered for {code}. Add the PIN for {code}, e.g. "
                     "'{code} PIN 1234 ...', and we will text a code to its chair's phone.")

WRONG_PIN = "That PIN is not right for {code}. Nothing was recorded. {left} left."
# A PIN try refused (a phone locked, a precinct slowed, or a statewide pause), then the way through.
PIN_REFUSED = {
    "phone": "Too many wrong PINs from this phone.",
    "slowed": "{code}: too many wrong PINs, so 1 try per {minutes} min.",
    "paused": "PIN tries are paused for now: too many wrong PINs.",
}
PIN_WAY_THROUGH = (" Nothing was recorded. We will call the chair's registered phone. Or text from "
                   "that phone: no PIN needed.")
PIN_WAY_THROUGH_STAFF = " Nothing was recorded. Hotline staff will call the chair."


def pin_refused(code: str, reason: str, minutes: int, registered_phone: bool) -> str:
    """Why a PIN try was refused, and what the chair can do instead (the same for a right PIN)."""
    return (PIN_REFUSED[reason].format(code=code, minutes=minutes)
            + (PIN_WAY_THROUGH if registered_phone else PIN_WAY_THROUGH_STAFF))
NEED_CODE = "Please reply YES and the 4-digit code from the read-back, e.g. YES 4821."
NOTHING_PENDING = "Nothing is waiting for confirmation from this phone. Send your results first, or HELP."
WRONG_CODE = "That code does not match. {left} left. Check the read-back and reply YES and its code."
CODE_REPLACED = ("That code is from an older read-back, which your newer text replaced. Reply YES "
                 "and the code from the newest read-back.")
CHATTER_PENDING = ("Got your message. Nothing changes until you reply YES and the code from the "
                   "read-back. Text CALL if you need a person.")
CODE_LOCKED = ("Too many wrong codes; that report was not recorded. Hotline staff will call you. "
               "You can also send the results again for a new code.")
CODE_EXPIRED = "That code has expired. Send the results again and we will send a new code."
CANCELLED = "Cancelled: the unconfirmed report for {code} was dropped. Nothing was recorded."
NOTHING_TO_CANCEL = "There is no unconfirmed report to cancel."
PHOTO_SAVED = "Photo saved with the {code} report. Thank you."
# A photo we could not keep: not a picture (a video, a document) or over the size limit.
PHOTO_REFUSED = ("Your photo for {code} could not be used: it is not a picture or is over {limit}. "
                 "Text a photo of the signed worksheet.")
# Staff could not read a stored worksheet photo against the report: ask the chair for another.
PHOTO_UNREADABLE = ("Hotline: we could not read the worksheet photo for {code}. Please text a new, clear "
                    "photo of the signed worksheet.")
PHOTO_ALONE = "Photo received. Please also text the numbers, e.g. '" + EXAMPLE + "'."
CALL_BACK = ("A hotline staff member will call this number (ending {tail}). Please keep your phone "
             "on. You can still text your results meanwhile.")


def tries(left: int) -> str:
    """'1 try' / '2 tries'."""
    return f"{left} try" if left == 1 else f"{left} tries"


NEED_STAGE = "Which count is this: first, final or delegates? Start the text with that word, e.g. '" + EXAMPLE + "'."


def status(precinct: str, lines: Sequence[str]) -> str:
    return f"{precinct}: " + " ".join(lines)


UNKNOWN_PRECINCT = "I don't know precinct {code}. Check the code on your worksheet."
NO_NUMBERS = "I found no numbers."
NO_REGISTERED_PHONE = ("PIN accepted, but this precinct has no registered phone. Hotline staff will "
                       "call you.")
THROTTLED = ("We have received many texts from this phone. Hotline staff will call you; please wait "
             "for them.")
SYSTEM_ERROR = ("We received your text but could not process it. Hotline staff have it and will "
                "contact you.")


def status_stage(label: str, counts: Mapping[str, int] | None) -> str:
    """One stage's line in the STATUS answer."""
    return f"{label}: {format_counts(counts)}." if counts is not None else f"{label}: not yet."


def status_waiting(n: int) -> str:
    return f"{n} report(s) waiting for your YES code."


def done_waiting(precinct: str) -> str:
    return f"{precinct}: a read-back is still waiting for your YES and its code."


def done_missing(precinct: str, missing: Iterable[Stage]) -> str:
    return f"{precinct} is missing: {', '.join(m.label.lower() for m in missing)}. Please send it."


def done_complete(precinct: str) -> str:
    return f"{precinct}: all three stages are recorded. Thank you!"


def checked_with(stages: Sequence[tuple[Stage, int]], attendance: int | None) -> str:
    """Under a read-back's CHECK: which figures in it come from earlier confirmed reports."""
    parts = [f"{stage.label.lower()} (total {total})" for stage, total in stages]
    if attendance is not None:
        parts.append(f"attendance {attendance}")
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Checked against what you recorded before: {listed}."


def flagged_stage(line: str) -> str:
    """A STATUS line for a recorded stage that failed a check."""
    return line[:-1] + " - FLAGGED." if line.endswith(".") else line + " - FLAGGED."


def flagged_why(stages: Sequence[Stage], why: str) -> str:
    """Why recorded stages are flagged, and what happens now (STATUS and DONE)."""
    names = ", ".join(stage.label.lower() for stage in stages) or "the report"
    return (f"Flagged, not counted yet ({names}): {why} Hotline staff will call you; or send the "
            "corrected numbers.")


def explained(precinct: str, note: str) -> str:
    """Staff explained a flagged report (a coin toss, say): it counts now."""
    return f"Hotline staff reviewed the {precinct} report: {note[:100]}. It is now counted. Thank you."


def staff_recorded(precinct: str, stages: Sequence[tuple[Stage, Mapping[str, int]]]) -> str:
    """What staff recorded in the chair's name, so a wrong entry is noticed."""
    text = "; ".join(f"{stage.label}: {format_counts(counts)}" for stage, counts in stages)
    return (f"Caucus hotline staff recorded for {precinct}: {text}. If this is wrong, text the right "
            "numbers or call the hotline.")


def identity_code(precinct: str, code: str) -> str:
    """A code for the chair to read out to the staff member on the phone with them."""
    return (f"Caucus hotline code for {precinct}: {code}. Read it to the hotline staff member you are "
            "speaking with. If nobody from the hotline is, ignore this.")


def incomplete_reminder(precinct: str, missing: Iterable[Stage]) -> str:
    names = ", ".join(m.label.lower() for m in missing)
    return f"We have part of the {precinct} report but not the {names}. Please text it, or call the hotline."


# What the parser says is wrong with a text: each ends with what to send instead.
EMPTY = "The message was empty."
NO_RESULTS = "I found no results in it - send them like: first: {name} 45."
TOO_LONG = "The message is too long - send one stage per text."
OPTED_OUT = "{token} turns off texts from the hotline - reply START to turn them back on."
PIN_MISSING = "{token} has no digits after it - send it like: PIN 1234."
NOT_A_PRECINCT = "I don't know precinct {code} - check the code on your worksheet."
TWO_PRECINCTS = "Two precinct codes ({first}, {second}) - send one."
AMBIGUOUS = "{token} could be {names} - use the last name."
UNKNOWN = "I don't know the name {token} - check the spelling or use the last name."
UNKNOWN_LIKE = "I don't know the name {token} - did you mean {name}?"
NO_NUMBER = "{token} has no number next to it - send it like: {name} 30."
NO_NAME = "{token} has no name next to it - send it like: {name} {token_bare}."
DUPLICATE = "{name} is given twice ({first}, {second}) - send one number."
ATTENDANCE_TWICE = "Attendance is given twice ({first}, {second}) - send one number."
STAGE_EMPTY = "{token} has no counts after it - send them like: {stage.value}: {name} 30."
NUMBER_PROBLEMS = {
    NEGATIVE: "{token} is negative - counts start at 0.",
    FRACTION: "{token} is not a whole number - send whole numbers only.",
    TOO_BIG: "{token} is too big for one precinct - check the number.",
    SPELLED: "{token} is spelled out - send it in digits{hint}.",
}


# Reminder blasts to precincts still missing results (staff send them from the console's Missing
# page or `hotline remind`). GSM-7 only, each one segment (under 160 characters) for one precinct.
BLAST_NO_REPORT = ("Caucus hotline: no results for {codes} yet. When your caucus is done, text them "
                   "here, like: first: Warren 30. Or call us.")
BLAST_STAGES_MISSING = "Caucus hotline: {codes} still needs the {stages}. Please text it here when ready, or call us."


def blast_reminder(codes: Sequence[str], missing: Iterable[Stage]) -> str:
    """The reminder a blast sends: no report at all, or the stages still missing."""
    stages = [m.label.lower() for m in missing]
    if not stages or len(stages) == len(Stage):
        return BLAST_NO_REPORT.format(codes=", ".join(codes))
    return BLAST_STAGES_MISSING.format(codes=", ".join(codes), stages=" and ".join(stages))
