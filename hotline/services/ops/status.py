"""What operators and outside tools (the drill, dashboards) may read about the system's state.

The names here are the product's public surface for that: they stay stable, unlike the modules
behind them.
"""
from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from sqlalchemy.orm import Session

from hotline.domain.model import Candidate
from hotline.services.records import roster
from hotline.services.sms.inbox import PARKED_KEY, PARKED_UNHANDLED

__all__ = ["PARKED_KEY", "Parked", "candidates", "parked_texts"]


@dataclass(frozen=True)
class Parked:
    """Texts from numbers not on the roster, kept in Redis (the list `PARKED_KEY`) during a flood."""

    unhandled: int  # waiting to be moved into the database and handled in the unknown numbers' lane
    throttled: int  # over their number's hourly allowance: kept, never acted on


def parked_texts(redis: Redis) -> Parked:
    """How many texts wait in Redis, by kind (one read of the whole list: for tools, not hot paths)."""
    items = redis.lrange(PARKED_KEY, 0, -1)
    unhandled = sum(1 for item in items if item[:1] == PARKED_UNHANDLED)
    return Parked(unhandled, len(items) - unhandled)


def candidates(session: Session) -> list[Candidate]:
    """The candidates on the ballot, in ballot order."""
    return roster.load_candidates(session)
