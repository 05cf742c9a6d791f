"""What a genuine Twilio webhook looks like: identifier shapes, the fields it always sends, media hosts.

Twilio's signature is an HMAC over the URL followed by every parameter's name and value run
together, with no separators. A captured, signed request can therefore be re-cut: folding the
next parameter into a value (`MessageSid=SM...0001NumMedia0`, `NumMedia` dropped) keeps the
signature valid and makes a "new" message. Every identifier Twilio issues has one exact shape (two
letters and 32 lowercase hex digits), so checking the shapes, and that the fields Twilio always
sends are there, refuses every such re-cut of an identifier.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

_HEX32 = "[0-9a-f]{32}"


def _sid(*prefixes: str) -> re.Pattern[str]:
    return re.compile(f"(?:{'|'.join(prefixes)}){_HEX32}")


# The identifiers Twilio puts in webhooks, by parameter name; each is checked whenever present.
SID_SHAPES: dict[str, re.Pattern[str]] = {
    "MessageSid": _sid("SM", "MM"),
    "SmsSid": _sid("SM", "MM"),
    "SmsMessageSid": _sid("SM", "MM"),
    "AccountSid": _sid("AC"),
    "MessagingServiceSid": _sid("MG"),
    "CallSid": _sid("CA"),
    "ParentCallSid": _sid("CA"),
    "DequeingCallSid": _sid("CA"),
    "DialCallSid": _sid("CA"),
    "QueueSid": _sid("QU"),
    "RecordingSid": _sid("RE"),
    "TranscriptionSid": _sid("TR"),
}

# The fields Twilio sends on every webhook of a kind; a request without one is not Twilio's.
SMS, STATUS, VOICE = "sms", "status", "voice"
REQUIRED: dict[str, tuple[str, ...]] = {
    SMS: ("MessageSid", "AccountSid", "From", "To"),
    STATUS: ("MessageSid", "MessageStatus", "AccountSid"),
    VOICE: ("CallSid", "AccountSid", "From", "To"),
}
# Of those, the ones that may not be empty (a call's From may be: an anonymous caller).
NOT_EMPTY: dict[str, tuple[str, ...]] = {
    SMS: ("MessageSid", "AccountSid", "From"),
    STATUS: ("MessageSid", "MessageStatus", "AccountSid"),
    VOICE: ("CallSid", "AccountSid"),
}
MESSAGE_STATUS = re.compile(r"[a-z_-]{1,24}")
WRONG_ACCOUNT = "AccountSid is not this hotline's account"


def problem(get_all: Callable[[str], Sequence[str]], kind: str | None,
            account_sid: str | None) -> str | None:
    """Why this request is not a `kind` webhook of our account, in a few words; None when it is.

    `get_all(name)`: every value the form carries for `name` (a MultiDict's `getlist`).
    `kind`: SMS, STATUS or VOICE; None checks only the identifiers that are present.
    `account_sid`: our Twilio account, when configured; AccountSid must then be exactly it.
    """
    for name in REQUIRED.get(kind or "", ()):
        values = get_all(name)
        if not values or (name in NOT_EMPTY[kind or ""] and not values[0]):
            return f"{name} is required"
    for name, shape in SID_SHAPES.items():
        values = get_all(name)
        if not values:
            continue
        if len(values) > 1:
            return f"{name} is given more than once"
        if not shape.fullmatch(values[0]):
            return f"{name} is not a Twilio {name}"
    if kind == STATUS and not MESSAGE_STATUS.fullmatch(get_all("MessageStatus")[0]):
        return "MessageStatus is not a Twilio message status"
    if account_sid and get_all("AccountSid") and get_all("AccountSid")[0] != account_sid:
        return WRONG_ACCOUNT
    return None


def problem_in(form: Mapping[str, Sequence[str]], kind: str | None,
               account_sid: str | None = None) -> str | None:
    """`problem` for a plain mapping of name -> values (tests, tools)."""
    return problem(lambda name: form.get(name, ()), kind, account_sid)


# Media a text may link to: Twilio's media host, over https, and nothing else (a `javascript:` or
# look-alike URL must never reach a staff member's browser). Tests and drills add their stand-in.
TWILIO_MEDIA_BASE = "https://api.twilio.com/"
MEDIA_URL_MAX = 1024


def media_url_ok(url: object, extra_base: str | None = None) -> bool:
    """Whether `url` is a media URL on Twilio's host (or on `extra_base`, the configured stand-in)."""
    if not isinstance(url, str) or not url or len(url) > MEDIA_URL_MAX:
        return False
    if any(c.isspace() or ord(c) < 0x20 or c in "\\\"'<>`" for c in url):
        return False
    bases = [TWILIO_MEDIA_BASE] + ([extra_base.rstrip("/") + "/"] if extra_base else [])
    for base in bases:
        if url.startswith(base):
            try:
                want, got = urlsplit(base), urlsplit(url)
                return (got.scheme == want.scheme and got.hostname == want.hostname
                        and got.port == want.port and got.username is None)
            except ValueError:  # an unreadable port
                return False
    return False


def split_media(urls: Sequence[str], extra_base: str | None = None) -> tuple[list[str], int]:
    """The acceptable media URLs, in order, and how many were refused."""
    kept = [u for u in urls if media_url_ok(u, extra_base)]
    return kept, len(urls) - len(kept)
