"""Which texts opt a phone out of our texts, or back in (the carrier's keywords, as Twilio reads them).

Twilio acts on a text that is exactly one keyword (any case, surrounding spaces ignored): STOP,
STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (and REVOKE, OPTOUT) opt out; START, UNSTOP and YES opt
back in. With Advanced Opt-Out, Twilio tells us itself in the `OptOutType` parameter (STOP, START,
HELP), and that wins. A bare YES is also how a chair confirms a read-back, so it counts as an
opt-in only from a phone that is opted out. Pure standard library.
"""
from __future__ import annotations

from hotline.domain.parsing import OPT_IN_WORDS, OPT_OUT_WORDS
from hotline.domain.sms_text import clean

OUT, IN = "out", "in"
# CANCEL is also our own command (drop an unconfirmed report): Twilio opts the phone out anyway.
OUT_WORDS = OPT_OUT_WORDS | {"cancel"}
IN_WORDS = OPT_IN_WORDS
RESUBSCRIBE = "yes"
TWILIO_TYPES = {"STOP": OUT, "START": IN}


def keyword(body: str | None) -> str | None:
    """The single word of a one-word text, lower case without end punctuation; None otherwise."""
    words = clean(body or "").lower().split()
    return words[0].strip("!.") if len(words) == 1 else None


def change(body: str | None, opt_out_type: str | None = None, *, opted_out: bool = False) -> str | None:
    """OUT, IN or None: what this text does to the phone's opt-out.

    `opt_out_type`: Twilio's OptOutType parameter, when the request carried one.
    `opted_out`: the phone is opted out now (only then does a bare YES opt it back in).
    """
    if opt_out_type:
        return TWILIO_TYPES.get(opt_out_type.strip().upper())
    word = keyword(body)
    if word in OUT_WORDS:
        return OUT
    if word in IN_WORDS or (opted_out and word == RESUBSCRIBE):
        return IN
    return None
