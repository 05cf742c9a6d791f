"""The Missing view: precincts with no report, or with stages missing, by county, and whether each
chair was already reminded."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import Chair, ChairPhone, OutboundMessage, Precinct, Report
from hotline.domain.lifecycle import ReportStatus
from hotline.domain.model import Stage
from hotline.domain.codes import natural_key
from hotline.services.units import Units

CURRENT = ReportStatus.CURRENT.value
STAGES = tuple(s.value for s in Stage)
# Texts that count as "reminded": the automatic reminder of a precinct missing a stage long after
# its first, and reminder blasts. A cancelled (never sent) one does not count.
REMINDER_KINDS = ("incomplete_reminder", "blast_reminder")
NOT_SENT = ("cancelled",)


@dataclass(frozen=True)
class Filters:
    county: str | None = None
    stage: str | None = None         # only precincts missing this stage (first, final, delegates)
    not_reminded: bool = False       # only precincts never reminded

    def __post_init__(self) -> None:
        if self.stage is not None and self.stage not in STAGES:
            raise ValueError(f"The stage must be one of: {', '.join(STAGES)}.")

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in (("county", self.county), ("stage", self.stage),
                                  ("not_reminded", self.not_reminded)) if v}


@dataclass(frozen=True)
class Row:
    precinct_id: int
    code: str
    name: str
    county: str
    missing: tuple[str, ...]   # stage values, in order
    reported: tuple[str, ...]
    phone: str | None          # the chair's first registered phone
    reminded_at: datetime | None

    @property
    def nothing_yet(self) -> bool:
        return not self.reported


@dataclass
class CountyGroup:
    name: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Missing:
    groups: list[CountyGroup]
    shown: int              # rows after the filters
    total_missing: int      # precincts missing anything, before the filters
    no_report: int          # of those, precincts with nothing at all
    precincts: int
    since: datetime | None  # the caucus start, or the night's first report
    since_label: str
    counties: list[str]     # every county with a missing precinct (the filter's choices)

    @property
    def rows(self) -> list[Row]:
        return [r for g in self.groups for r in g.rows]


def show(units: Units, filters: Filters = Filters()) -> Missing:
    """Precincts still missing a stage, filtered, by county (natural order of codes)."""
    with units.reading() as s:
        return build(s, filters, units.config.caucus_starts_at)


def build(s: Session, filters: Filters, starts_at: datetime | None) -> Missing:
    stages: dict[int, set[str]] = {}
    for pid, stage in s.execute(select(Report.precinct_id, Report.stage).where(Report.status == CURRENT)):
        stages.setdefault(pid, set()).add(stage)
    reminded = dict(s.execute(select(OutboundMessage.precinct_id, func.max(OutboundMessage.created_at))
                              .where(OutboundMessage.kind.in_(REMINDER_KINDS),
                                     OutboundMessage.status.not_in(NOT_SENT),
                                     OutboundMessage.precinct_id.is_not(None))
                              .group_by(OutboundMessage.precinct_id)).all())
    if starts_at is not None:
        since, label = starts_at, "the caucus started"
    else:
        since = s.scalar(select(func.min(Report.recorded_at)))
        label = "the first report of the night"
    first_phone: dict[int, str] = {}
    for pid, phone in s.execute(select(Chair.precinct_id, ChairPhone.phone)
                                .join(ChairPhone, ChairPhone.chair_id == Chair.id).order_by(ChairPhone.id)):
        first_phone.setdefault(pid, phone)
    rows: list[Row] = []
    total = no_report = precincts = 0
    counties: set[str] = set()
    for p in s.execute(select(Precinct)).scalars():
        precincts += 1
        have = stages.get(p.id, set())
        missing = tuple(st for st in STAGES if st not in have)
        if not missing:
            continue
        total += 1
        no_report += not have
        counties.add(p.county.name)
        if filters.county and p.county.name != filters.county:
            continue
        if filters.stage and filters.stage not in missing:
            continue
        if filters.not_reminded and p.id in reminded:
            continue
        rows.append(Row(p.id, p.code, p.name, p.county.name, missing, tuple(st for st in STAGES if st in have),
                        first_phone.get(p.id), reminded.get(p.id)))
    groups: dict[str, CountyGroup] = {}
    for row in sorted(rows, key=lambda r: (r.county.lower(), natural_key(r.code))):
        groups.setdefault(row.county, CountyGroup(row.county)).rows.append(row)
    return Missing(list(groups.values()), len(rows), total, no_report, precincts, since, label,
                   sorted(counties, key=str.lower))


def count(units: Units) -> tuple[int, int]:
    """(precincts missing a stage, precincts with no report at all): the board's link."""
    view = show(units)
    return view.total_missing, view.no_report
