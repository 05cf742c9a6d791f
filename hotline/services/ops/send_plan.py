"""The send budget planner's inputs from the live roster and settings (the math is in
domain/send_budget.py)."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from hotline.adapters.models import Precinct
from hotline.domain import send_budget
from hotline.services.records import roster
from hotline.services.units import Units


def plan(units: Units, precincts: int | None = None, numbers: int | None = None, rate: float | None = None,
         number_type: str | None = None) -> send_budget.Plan:
    """The night's plan; what is not given comes from the roster (precincts, candidates) and the
    settings (sending numbers, their rate), or the number type's typical rate."""
    if number_type is not None and number_type not in send_budget.NUMBER_TYPES:
        raise ValueError(f"The number type must be one of: {', '.join(send_budget.NUMBER_TYPES)}.")
    with units.reading() as s:
        count = s.scalar(select(func.count()).select_from(Precinct)) or 0
    names = [c.name for c in roster.candidates(units)]
    config = units.config
    if rate is None:
        rate = (send_budget.NUMBER_TYPES[number_type].rate if number_type
                else config.sending_rate or send_budget.NUMBER_TYPES["long-code"].rate)
    readback, confirmation, reminder = send_budget.sample_segments(names)
    source = ("computed: today's wording for a read-back of five groups"
              + (" of the roster's candidates" if names else "") + ", a confirmation and a reminder")
    a = replace(send_budget.Assumptions(), readback_segments=readback, confirmation_segments=confirmation,
                reminder_segments=reminder, segments_source=source)
    return send_budget.plan(count if precincts is None else precincts,
                            numbers or max(1, len(config.twilio_from_numbers)), rate, a, number_type)
