"""Small text helpers: rejoining split SMS, keeping PINs and numbers out of logs."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Mapping, Sequence

# A full concatenated-SMS segment (GSM-7, UCS-2): the next part continues mid-word.
SEGMENT_LENGTHS = {153, 67}
_PIN = re.compile(r"(?i)\b(pin)\s*[:#=-]?\s*\d+")


def join_bodies(bodies: list[str]) -> str:
    """Rejoin split texts in arrival order."""
    text = bodies[0] if bodies else ""
    for prev, body in zip(bodies, bodies[1:]):
        text += ("" if len(prev) in SEGMENT_LENGTHS else "\n") + body
    return text


# Outcomes of earlier texts that a following text may complete (long texts arrive split).
FRAGMENT_OUTCOMES = frozenset({"parse_error", "readback", "callback_code_sent", "readback_resent",
                               "readback_on_its_way"})


def continued_parts(earlier: Sequence[tuple[str | None, datetime]], received_at: datetime,
                    window: timedelta) -> int:
    """How many of the phone's earlier texts (outcome, arrival; newest first) a new text continues.

    The run stops at the first text that was not a report in the making, or that came more than
    `window` before the text after it: parts of one long text arrive seconds apart.
    """
    n, newer = 0, received_at
    for outcome, at in earlier:
        if outcome not in FRAGMENT_OUTCOMES or newer - at > window:
            break
        n, newer = n + 1, at
    return n


def redact(body: str) -> str:
    """The body without its PIN, for logs and staff screens."""
    return _PIN.sub(r"\1 ****", body or "")


def mask(phone: str) -> str:
    """A phone number shortened for log lines."""
    return f"***{phone[-4:]}" if phone else "?"


def mentions_pin(body: str) -> bool:
    """Whether a text carries a PIN, i.e. claims to come from a chair on a borrowed phone."""
    return bool(_PIN.search(body or ""))


def no_nul(text: str) -> str:
    """The text with NUL characters replaced: PostgreSQL text cannot hold them."""
    return text.replace("\x00", "\ufffd")


def storable(form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A request's fields with NUL characters replaced."""
    return {no_nul(k): [no_nul(v) for v in values] for k, values in form.items()}
