"""Times as people in Iowa read them: "9:42 pm CST" (or CDT in summer), in Central time."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

CENTRAL = ZoneInfo("America/Chicago")


def central(moment: datetime) -> datetime:
    """`moment` in Central time; a naive datetime is taken as UTC (the database stores UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CENTRAL)


def clock(moment: datetime) -> str:
    """"9:42 pm CST": the hour without a leading zero, "am"/"pm", the zone's abbreviation."""
    local = central(moment)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'} {local.tzname()}"


def clock_and_day(moment: datetime, today: datetime | None = None) -> str:
    """The clock, with the day in front when it is not today in Central time:
    "9:42 pm CST" today, "Mon Feb 3, 9:42 pm CST" on another day."""
    local = central(moment)
    now = central(today or datetime.now(timezone.utc))
    if local.date() == now.date():
        return clock(moment)
    return f"{local:%a %b} {local.day}, {clock(moment)}"
