"""A text being handled, and the answer a handler gives: what to record and what to send back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.adapters.models import InboundMessage, Observer, Precinct
from hotline.domain.model import Candidate


@dataclass(frozen=True)
class Incoming:
    """One text from the inbox, with what handling it needs to know about its sender."""

    msg: InboundMessage
    registered: list[Precinct]      # the precincts whose chair registered this phone (usually one)
    candidates: list[Candidate]
    codes: frozenset[str]           # every precinct code on the roster
    now: datetime
    observer: Observer | None = None  # the phone is an observer's (and no chair's)

    @property
    def phone(self) -> str:
        return self.msg.from_number


@dataclass(frozen=True)
class Reply:
    """A text to send; `to` None means back to the sender."""

    body: str
    kind: str
    to: str | None = None
    priority: int = 0  # 0: what a chair is waiting for (read-backs, codes); 1: everything else
    precinct_id: int | None = None


@dataclass(frozen=True)
class Answer:
    """What a handler did with a text: its outcome (stored on the inbox row) and the replies."""

    outcome: str
    replies: tuple[Reply, ...] = ()
    submission_id: int | None = None  # the report this text made or repeated, if any


def say(outcome: str, body: str, kind: str | None = None, **reply: object) -> Answer:
    """An answer with one reply, whose kind is the outcome unless given."""
    return Answer(outcome, (Reply(body, kind or outcome, **reply),))  # type: ignore[arg-type]
