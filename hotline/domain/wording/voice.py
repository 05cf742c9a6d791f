"""What the hotline says on the phone: prompts, notices, and the sentences built from a call's figures.

Everything here is spoken by a text-to-speech voice, so codes and phone digits are spelled out
(`D S M 42`, `0 1 4 2`) and every prompt ends by saying which key to press.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from hotline.domain.ivr import CHOICES_PER_PAGE, LANGUAGE_KEY, choice_page, keypad_digits
from hotline.domain.languages import N_, Texts, _, translate

# The voice each language is spoken in (Twilio <Say language=... voice=...>).
VOICES = {"en": ("en-US", "Polly.Joanna"), "es": ("es-MX", "Polly.Mia")}


def spoken_code(code: str) -> str:
    """`DSM-42` as a voice should say it: `D S M 42`."""
    parts = re.findall(r"[A-Za-z]|\d+", code)
    return " ".join(p.upper() for p in parts) or code


def spoken_digits(digits: str) -> str:
    """`0142` said digit by digit: `0 1 4 2`."""
    return " ".join(ch for ch in digits if ch.isdigit())


def spoken_keys(keys: str) -> str:
    """Keys a caller pressed, read back to them (`that` when none of them is a digit)."""
    return spoken_digits(keys) or _("that")


def spoken_name(name: str, aliases: Sequence[str] = ()) -> str:
    """A candidate's full name when an alias gives one (`Joe Biden` for `Biden`), else the name."""
    for alias in aliases:
        words = alias.split()
        if len(words) >= 2 and words[-1].lower() == name.lower():
            return alias
    return name


def join_words(items: Sequence[str]) -> str:
    """`a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def plural(n: int, word: str) -> str:
    """`1 chair`, `2 chairs`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def minutes(seconds: float) -> str:
    """A spoken duration rounded up to whole minutes."""
    if seconds < 60:
        return _("less than a minute")
    whole = int(-(-seconds // 60))
    return _("1 minute") if whole == 1 else _("{n} minutes").format(n=whole)


# Prompts keyed by the step that receives the answer; `{...}` fields are filled per call.
PROMPTS = Texts({
    "menu": N_("Caucus results hotline. To report results with your keypad, press 1. "
             "To speak to the results desk, press 2. To leave a message, press 3. "
             "At any time, press star to go back, or 0 to reach a person."),
    "precinct": N_("Enter your precinct code on the keypad, then press pound. For a letter, press "
                 "the key that shows it, and skip the dash: for {example}, press {keys}."),
    "choose": N_("That number fits more than one precinct. {options}"),
    "pin": N_("Precinct {code}, {name}. Enter the chair's PIN, then press pound."),
    "stage": N_("Which results are you reporting? For first alignment, press 1. For final alignment, "
              "press 2. For county delegates, press 3."),
    "attendance": N_("First, how many eligible attendees did you count when the caucus was called to "
                   "order? Enter the number, then pound. If you did not count them, press 0 then pound."),
    "count_intro": N_("{stage}. I will name each candidate in ballot order. Enter the number, then "
                    "press pound. For zero, press 0 then pound. Press star to go back one candidate."),
    "count": N_("For {candidate}, enter the number, then pound."),
    "readback_end": N_("To record these numbers, press 1. To enter them again, press 2. "
                     "To change the last number, press star."),
    "code": N_("We texted a 4-digit code to the chair's registered phone, ending {tail}. Enter that "
             "code, then pound. The chair can also reply YES and the code from that phone. "
             "Nothing is recorded until then."),
    "after": N_("To report another result for this precinct, press 1. If you are done, you can hang "
              "up now. Thank you."),
    "callback": N_("We will call you back at the number ending {tail}. To confirm, press 1. "
                 "To give a different number, press 2."),
    "callback_number": N_("Enter the 10-digit phone number we should call, then press pound."),
    "message": N_("After the tone, say your name, your precinct and your message, then press pound "
                "or hang up. You have two minutes."),
    "staff": N_("Staff line. Enter the staff PIN, then press pound."),
    "staff_next": N_("To take the next caller, press 1."),
})

# Said once before the next prompt, to explain why the caller hears it (again).
NOTICES = Texts({
    "silence": N_("I did not hear anything."),
    "invalid": N_("Sorry, that is not one of the choices."),
    "lost": N_("Sorry, I lost track of this call. Let's start again."),
    "to_desk": N_("Let me connect you to the results desk."),
    "no_precinct": N_("I found no precinct for {keys}. Please check the code on your worksheet."),
    "bad_count": N_("Sorry, {keys} is not a number I can use."),
    "wrong_pin": N_("That PIN is not right for precinct {code}. {left} left. Nothing was recorded."),
    # A PIN try refused (see pin_refused), then the way through.
    "pin_refused_phone": N_("Too many wrong PINs from this phone, so it cannot try a PIN for now."),
    "pin_refused_slowed": N_("Precinct {code} had too many wrong PINs, so it takes one PIN try every "
                           "{wait}."),
    "pin_refused_paused": N_("PIN entry is paused for now, after too many wrong PINs."),
    "pin_way_through": N_("Nothing was recorded. Hotline staff will call the chair's registered phone. "
                        "The chair can also text the results from that phone, with no PIN."),
    "pin_way_through_own": N_("Nothing was recorded. Hotline staff will call you back on this phone. "
                            "You can also text your results from it, with no PIN."),
    "pin_way_through_staff": N_("Nothing was recorded. Hotline staff will call the chair."),
    "all_zero": N_("You entered zero for every candidate. Let's enter the numbers again."),
    "again": N_("Let's enter the numbers again."),
    "wrong_code": N_("That code does not match. {left} left."),
    "code_locked": N_("Too many wrong codes, so that report was not recorded. Hotline staff will "
                    "call the chair."),
    "code_expired": N_("That code is no longer valid. To send a new code, press 1."),
    "coin_refused": N_("The coin toss could not be recorded. Please text COIN and the winner's name instead."),
    "no_phone": N_("The PIN is right, but precinct {code} has no registered phone to confirm from. "
                 "Hotline staff will help you."),
    "already": N_("That report was already confirmed."),
    "bad_number": N_("Sorry, {keys} is not a 10-digit phone number."),
    "desk_unavailable": N_("Sorry, the results desk cannot take more callers right now."),
    "no_message": N_("I did not hear a message."),
})

# Whole answers, not followed by a prompt (or followed by music, a queue or a hang-up).
SAYINGS = Texts({
    "desk_join": N_("Connecting you to the results desk."),
    "connecting": N_("Connecting you to hotline staff now."),
    "still_waiting": N_("You are still in line."),
    "leaving": N_("One moment."),
    "flooded": N_("This line is busy with calls from this number. Precinct chairs can text their "
                "results to this number. Goodbye."),
    "message_saved": N_("Thank you. Your message is saved, and hotline staff will listen to it and "
                      "call you back if needed. Goodbye."),
    "goodbye": N_("Thank you for calling the caucus results hotline. Goodbye."),
    "silent_goodbye": N_("I did not hear anything, so I will end this call. Please call again. Goodbye."),
    "trouble": N_("Sorry, something went wrong on our side."),
    "trouble_bye": N_("Sorry, something went wrong on our side. Please text your results to this "
                    "number, or call again in a few minutes. Goodbye."),
    "staff_off": N_("The staff line is not set up. Goodbye."),
    "staff_locked": N_("Too many wrong staff PINs from this phone. Try again later. Goodbye."),
    "staff_wrong": N_("That staff PIN is not right."),
    "nobody_waiting": N_("No callers are waiting."),
})

# Observers on the voice line (services/voice/observer.py): their counts are compared with the
# chair's and never count. The main menu offers their key only to an observer's own phone, so the
# menu stays short for everyone else; observers on another phone are told the key by their group.
OBSERVER_KEY = "7"
OBSERVERS = Texts({
    "offer": N_("Observers, press {key}."),
    "intro": N_("Observer count. Your numbers are compared with the chair's report and never count "
              "instead of it."),
    "for_precinct": N_("Precinct {code}, {name}."),
    "pin": N_("Precinct {code}, {name}. Enter your observer PIN, then press pound."),
    "wrong_pin": N_("That observer PIN is not right for precinct {code}. {left} left. Nothing was recorded."),
    "way_through": N_("Nothing was recorded. You can text your counts from the phone you registered as "
                    "an observer."),
    "not_assigned": N_("You are not an observer for precinct {code}. Nothing was recorded. "
                     "Your precincts: {codes}."),
    "no_precincts": N_("This phone is not assigned to any precinct as an observer. Nothing was recorded."),
    "recorded": N_("Recorded your count for precinct {code}: {stage}. It is compared with the chair's "
                 "report, never used instead of it."),
})


def menu_for_observer() -> str:
    """The main menu as an observer's own phone hears it: the observers' key after the chairs' options."""
    return f"{PROMPTS['menu']} {OBSERVERS['offer'].format(key=OBSERVER_KEY)}"


def observer_precinct(code: str, name: str) -> str:
    return OBSERVERS["for_precinct"].format(code=spoken_code(code), name=name)


def observer_pin_prompt(code: str, name: str) -> str:
    return OBSERVERS["pin"].format(code=spoken_code(code), name=name)


def observer_wrong_pin(code: str, left: int) -> str:
    return OBSERVERS["wrong_pin"].format(code=spoken_code(code), left=tries(left))


def observer_pin_refused(code: str, reason: str, gap_seconds: int) -> str:
    """A PIN try refused by the chairs' PIN limits (see pin_refused), and the observer's way through."""
    why = NOTICES[f"pin_refused_{reason}"].format(code=spoken_code(code), wait=minutes(gap_seconds))
    return f"{why} {OBSERVERS['way_through']}"


def observer_not_assigned(code: str, codes: Sequence[str]) -> str:
    if not codes:
        return OBSERVERS["no_precincts"]
    return OBSERVERS["not_assigned"].format(code=spoken_code(code),
                                            codes=join_words([spoken_code(c) for c in codes]))


def observer_recorded(code: str, stage_label: str) -> str:
    return OBSERVERS["recorded"].format(code=spoken_code(code), stage=stage_name(stage_label).lower())


# The main menu's last sentence, spoken in the *other* language with that language's voice: each
# language's translation of it offers itself ("Para español, oprima 4." in Spanish).
# Translators: say "For <this language>, press {key}." in your own language.
LANGUAGE_OFFER = N_("For English, press {key}.")


def language_offer(lang: str) -> str:
    """The main menu's offer of `lang` (in `lang`): "Para español, oprima 4."."""
    return translate(lang, LANGUAGE_OFFER).format(key=LANGUAGE_KEY)


def stage_name(label: str) -> str:
    """A stage's English label (Stage.label) as the caller hears it."""
    return _(label)


def precinct_prompt(example_code: str | None) -> str:
    """The precinct question, with the caller's own precinct as the example when known."""
    code = example_code or "ABC-12"
    return PROMPTS["precinct"].format(example=spoken_code(code), keys=spoken_digits(keypad_digits(code)))


def choose_prompt(codes: Sequence[str], page: int = 0) -> str:
    """`For D S M 42, press 1. For E R M 42, press 2.` (and `For more precincts, press 9.`)"""
    options = " ".join(_("For {code}, press {key}.").format(code=spoken_code(c), key=i)
                       for i, c in enumerate(choice_page(codes, page), start=1))
    if len(codes) > CHOICES_PER_PAGE:
        options += " " + _("For more precincts, press 9.")
    return PROMPTS["choose"].format(options=options)


def pin_prompt(code: str, name: str) -> str:
    """The PIN question, naming the precinct so a mistyped code is noticed before the PIN."""
    return PROMPTS["pin"].format(code=spoken_code(code), name=name)


def code_prompt(phone: str) -> str:
    """Ask for the code texted to the chair's registered `phone` (only its last four digits are said)."""
    return PROMPTS["code"].format(tail=spoken_digits(phone[-4:]))


def callback_prompt(number: str) -> str:
    """Confirm the call-back `number` (only its last four digits are said)."""
    return PROMPTS["callback"].format(tail=spoken_digits(number[-4:]))


def count_intro(stage_label: str) -> str:
    """Said before the first candidate of a stage."""
    return PROMPTS["count_intro"].format(stage=stage_name(stage_label))


def count_prompt(candidate: str) -> str:
    """The question for one candidate's number (`candidate` as spoken_name gives it)."""
    return PROMPTS["count"].format(candidate=candidate)


def notice(name: str, keys: str = "") -> str:
    """A notice from NOTICES; `keys` (what the caller pressed) is read back where it has a place."""
    return NOTICES[name].format(keys=spoken_keys(keys))


def tries(left: int) -> str:
    """'1 try' / '2 tries': said after a wrong PIN or code."""
    return _("{n} try").format(n=left) if left == 1 else _("{n} tries").format(n=left)


def wrong_pin(code: str, left: int) -> str:
    """A wrong PIN that has not locked the precinct yet."""
    return NOTICES["wrong_pin"].format(code=spoken_code(code), left=tries(left))


def pin_refused(code: str, reason: str, gap_seconds: int, way: str) -> str:
    """A PIN try refused ("phone" locked, precinct "slowed", statewide "paused"), and the way
    through: `way` is "registered" (the chair's registered phone), "own" (the caller is on it) or
    "staff" (the precinct has no registered phone)."""
    why = NOTICES[f"pin_refused_{reason}"].format(code=spoken_code(code), wait=minutes(gap_seconds))
    then = NOTICES["pin_way_through" if way == "registered" else f"pin_way_through_{way}"]
    return f"{why} {then}"


def wrong_code(left: int) -> str:
    """A wrong texted code that has not locked the read-back yet."""
    return NOTICES["wrong_code"].format(left=tries(left))


def no_phone(code: str) -> str:
    """The precinct has no registered phone, so a person must confirm the report."""
    return NOTICES["no_phone"].format(code=spoken_code(code))


def readback(code: str, stage_label: str, counts: Sequence[tuple[str, int]], warning: str = "",
             attendance: int | None = None) -> str:
    """Every number the caller keyed, the total, and who got zero; then any check warning."""
    given = [f"{name}: {n}." for name, n in counts if n]
    zeros = [name for name, n in counts if not n]
    parts = [_("Please check these numbers for precinct {code}, {stage}.").format(
        code=spoken_code(code), stage=stage_name(stage_label).lower())]
    if attendance:
        parts.append(_("Attendance: {n}.").format(n=attendance))
    parts += given
    parts.append(_("Total: {n}.").format(n=sum(n for _name, n in counts)))
    if zeros:
        parts.append(_("Zero for {names}.").format(names=join_words(zeros)))
    if warning:
        parts.append(_("Please check: {warning}").format(warning=warning))
    return " ".join(parts)


def recorded(code: str, stage_label: str, missing: Sequence[str], flagged: bool) -> str:
    """What the caller hears once the report counts."""
    text = _("Recorded for precinct {code}: {stage}.").format(code=spoken_code(code),
                                                               stage=stage_name(stage_label).lower())
    if flagged:
        text += " " + _("The numbers do not add up, so hotline staff will review them with you.")
    if missing:
        text += " " + _("Still to report: {stages}.").format(
            stages=join_words([stage_name(m).lower() for m in missing]))
    else:
        text += " " + _("All three results are in. Thank you!")
    return text


def coin_prompt(groups: Sequence[str]) -> str:
    """Asked after a delegates report whose math leaves a coin toss: one key per tied group."""
    keys = ", ".join(_("{key} if {group} won").format(key=n, group=g) for n, g in enumerate(groups, 1))
    return _("A coin toss decided between {groups}. Press {keys}.").format(groups=join_words(list(groups)),
                                                                           keys=keys)


def coin_recorded(code: str, winners: Sequence[str], flagged: bool) -> str:
    """What the caller hears once the coin toss is recorded."""
    text = _("Coin toss recorded for precinct {code}: {winners} won.").format(
        code=spoken_code(code), winners=join_words(list(winners)))
    if flagged:
        text += " " + _("It does not fit the delegates reported, so hotline staff will review them with you.")
    return text


def callback_booked(tail: str, position: int, estimate: float | None, *, chair: bool, chairs_ahead: int) -> str:
    """What a caller hears after asking for a call back: their place in line is kept, and the
    same estimate of the wait they would hear on hold."""
    place = place_and_wait(position, estimate, chair=chair, chairs_ahead=chairs_ahead)
    return _("Thank you. Hotline staff will call you back at the number ending {tail}. You keep your place "
             "in line. {place} Please keep that phone free. You can hang up now. Goodbye.").format(
                 tail=spoken_digits(tail), place=place)


def place_and_wait(position: int, estimate: float | None, *, chair: bool, chairs_ahead: int) -> str:
    """A caller's place in line and the honest estimate of the wait, on hold or waiting for a call back."""
    if chair:
        where = _("You are number {n} in line for the results desk.").format(n=position)
    elif not chairs_ahead:
        where = _("You are number {n} in line. Precinct chairs are answered first.").format(n=position)
    elif chairs_ahead == 1:
        where = _("You are number {n} in line. Precinct chairs are answered first, and 1 is waiting "
                  "now.").format(n=position)
    else:
        where = _("You are number {n} in line. Precinct chairs are answered first, and {ahead} are waiting "
                  "now.").format(n=position, ahead=chairs_ahead)
    if estimate is None:
        wait = _("I cannot estimate the wait yet.")
    elif chair:
        wait = _("The estimated wait is about {wait}.").format(wait=minutes(estimate))
    else:
        wait = _("The estimated wait is at least about {wait}.").format(wait=minutes(estimate))
    return f"{where} {wait}"


def wait_message(position: int, estimate: float | None, *, chair: bool, chairs_ahead: int,
                 over_limit: bool, limit_seconds: int) -> str:
    """Position, an honest wait estimate, and the call-back offer."""
    if over_limit:
        offer = _("The wait is longer than {limit}. Press 1 and we will call you back instead, or stay on "
                  "the line.").format(limit=minutes(limit_seconds))
    else:
        offer = _("To get a call back instead of waiting, press 1.")
    return f"{place_and_wait(position, estimate, chair=chair, chairs_ahead=chairs_ahead)} {offer}"


def next_callback(precinct: str | None, tail: str, waited_seconds: float, chairs: int, others: int) -> str:
    """What a staff member hears before the hotline dials a call-back that has reached the front
    (staff hear English: only chairs have a language)."""
    who = (f"the chair of precinct {spoken_code(precinct)}" if precinct
           else "a caller whose number is not on the roster")
    return (f"Next: a call-back to {who}, in line {minutes(waited_seconds)}. Calling the number ending "
            f"{spoken_digits(tail)} now. Waiting now: {plural(chairs, 'chair')} and "
            f"{plural(others, 'other caller')}.")


def next_caller(precinct: str | None, waited_seconds: float, chairs: int, others: int) -> str:
    """What a staff member hears before being bridged."""
    who = f"a chair for precinct {spoken_code(precinct)}" if precinct else (
        "a precinct chair" if chairs else "a caller whose number is not on the roster")
    return (f"Next caller: {who}, waiting {minutes(waited_seconds)}. "
            f"Waiting now: {plural(chairs, 'chair')} and {plural(others, 'other caller')}.")
