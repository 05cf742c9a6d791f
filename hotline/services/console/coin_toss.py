"""The coin toss on the console's precinct page: what is recorded, and staff recording or changing it.

One staff member suffices (a toss is a fact from the room, not a change of figures); it is logged
with their name and re-checks the precinct like a chair's COIN text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hotline.domain.central_time import clock_and_day
from hotline.services.console.views import UnknownPrecinct
from hotline.services.records import coin_toss, roster
from hotline.services.units import Units

TossRefused = coin_toss.TossRefused
BY = {"sms": "by the chair by text", "voice": "by the chair on the voice line", "staff": "by {who}"}


@dataclass(frozen=True)
class TossView:
    ties: tuple[tuple[str, ...], ...]   # one select per tie, of its tied groups
    status: str                         # "not recorded" or "Sanders won (recorded by ... at 9:12 pm CST)"
    winners: tuple[str, ...]            # the recorded winners that decide the current tie (to preselect)
    recorded: bool


def describe(toss: coin_toss.CoinToss, recorded_by: str | None) -> str:
    """"Sanders won (recorded by the chair by text at 9:12 pm CST)"."""
    won = " and ".join(toss.winners)
    by = BY.get(toss.channel, "by {who}").format(who=recorded_by or "staff")
    return f"{won} won (recorded {by} at {clock_and_day(toss.recorded_at)})"


def view(units: Units, code: str) -> TossView:
    """The precinct's coin toss as staff see it; UnknownPrecinct when there is no such precinct."""
    with units.reading() as s:
        precinct = roster.precinct_by_code(s, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        state = coin_toss.state(s, precinct)
    if state.latest is None:
        return TossView(state.ties, "not recorded", (), False)
    status = describe(state.latest, state.recorded_by)
    if not state.applies:
        status = f"not recorded for the current figures (earlier: {status})"
    return TossView(state.ties, status, state.latest.winners if state.applies else (), state.applies)


def record(units: Units, code: str, staff: str, winners: Sequence[str]) -> coin_toss.Recorded:
    """Staff record (or change) who won; TossRefused when it cannot be right, UnknownPrecinct."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        return coin_toss.record(uow, precinct, [w for w in winners if w], "staff", staff)
