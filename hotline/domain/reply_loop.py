"""Telling an auto-responder (or another bot) answering our replies from a chair typing fast.

A loop is the same or nearly the same text, again and again, each soon after one of our replies:
"I'm driving, I'll get back to you" three times, each within seconds of our answer. A chair typing
fast sends different texts (results, YES codes, corrections), and texts that carry results or a
code are never counted at all, so a chair is never taken for a bot. Pure standard library.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Rule:
    """When texts from one phone are a loop.

    Within `window`, at least `repeats` texts the hotline could not act on that are the same or
    nearly the same (`similarity`, after `normal`), of which at least `quick` arrived within
    `quick_seconds` of one of our replies; or `slow_repeats` such texts however slowly.
    """

    window: timedelta = timedelta(minutes=10)
    repeats: int = 3
    quick: int = 2
    quick_seconds: float = 5.0
    slow_repeats: int = 5
    similarity: float = 0.9


RULE = Rule()


@dataclass(frozen=True)
class Text:
    """One text from the phone, as the loop guard sees it."""

    at: datetime
    body: str
    acted_on: bool              # it carried results, a code or a command we carried out
    after_reply: float | None   # seconds since our latest reply to the phone before it (None: none)


def normal(body: str) -> str:
    """The text with case, spacing, punctuation and the digits themselves made irrelevant."""
    lowered = re.sub(r"\d+", "0", (body or "").lower())
    return " ".join(re.findall(r"[^\W_]+", lowered))


def similar(a: str, b: str, threshold: float = RULE.similarity) -> bool:
    """The same or nearly the same text (difflib's ratio of the normal forms)."""
    na, nb = normal(a), normal(b)
    if na == nb:
        return True
    return SequenceMatcher(None, na, nb).ratio() >= threshold


def is_loop(texts: Sequence[Text], rule: Rule = RULE) -> bool:
    """Whether the newest of `texts` (oldest first) continues a loop with our replies."""
    if not texts:
        return False
    latest = texts[-1]
    if latest.acted_on:
        return False
    since = latest.at - rule.window
    alike = [t for t in texts if t.at >= since and not t.acted_on
             and similar(t.body, latest.body, rule.similarity)]
    quick = [t for t in alike if t.after_reply is not None and 0 <= t.after_reply <= rule.quick_seconds]
    return (len(alike) >= rule.repeats and len(quick) >= rule.quick) or len(alike) >= rule.slow_repeats


def seconds_after_reply(at: datetime, replies: Sequence[datetime]) -> float | None:
    """Seconds from our latest reply at or before `at` to `at` (None: no reply before it)."""
    before = [r for r in replies if r <= at]
    return (at - max(before)).total_seconds() if before else None
