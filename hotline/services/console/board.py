"""The administrators' precinct board: each precinct's state and "N of M reporting"."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import (
    BacklogItem,
    Chair,
    ChairPhone,
    InboundMessage,
    PhoneOptOut,
    Precinct,
    Report,
    Submission,
)
from hotline.config import Config
from hotline.domain.codes import natural_key
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus
from hotline.domain.model import Stage
from hotline.services.records import photos as photo_rows
from hotline.services.records import sources
from hotline.services.results import public as results
from hotline.services.units import Units

CURRENT, SUPERSEDED = ReportStatus.CURRENT.value, ReportStatus.SUPERSEDED.value
AWAITING, CONFIRMED = SubmissionStatus.AWAITING.value, SubmissionStatus.CONFIRMED.value

# In order of precedence: a precinct shows the first state that applies.
STATES = {
    "flagged": "Flagged: failed a check",
    "awaiting": "Awaiting confirmation or approval",
    # Some stages in, not all: never "Confirmed", whoever entered them or however often corrected.
    "partial": "Partly reported",
    "approved": "Entered by staff and approved",
    "corrected": "Corrected (a newer report replaced one)",
    "confirmed": "Confirmed (all three stages)",
    "not_reported": "Not reported",
}


ALL_STAGES = frozenset(stage.value for stage in Stage)


def state_label(state: str, stages: tuple[str, ...] | list[str]) -> str:
    """A row's state in words; a partly reported precinct names the stages it has
    ("Partly reported (first alignment only)")."""
    if state != "partial":
        return STATES[state]
    names = [Stage(st).label.lower() for st in stages]
    if len(names) == 1:
        return f"{STATES[state]} ({names[0]} only)"
    return f"{STATES[state]} ({' and '.join(names)})"


# What the newest stored worksheet photo says about the recorded report (the board's photo column).
PHOTO = {"matches": "matches", "differs": "differs", "unreadable": "unreadable",
         "not_checked": "not checked", "missing": "missing"}


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    county: str
    state: str
    stages: tuple[str, ...]
    reporting: bool
    last_confirmed: datetime | None
    photo: str = "missing"  # a key of PHOTO
    opted_out: bool = False  # a registered phone of the chair opted out of texts: call instead
    # A second source: how many sources agree (the chair plus matching observers; 0 = no observer
    # count yet), the agreeing organisations, and whether an observer's counts differ (a conflict).
    sources: int = 0
    corroborated_by: tuple[str, ...] = ()
    conflict: bool = False
    differing: int = 0  # observers whose counts differ (settled by staff when no conflict is open)

    @property
    def sources_label(self) -> str:
        if self.conflict:
            return "observer's counts differ"
        if self.sources > 1:
            return f"{self.sources} sources agree ({', '.join(self.corroborated_by)})"
        if self.differing:
            return "observer's counts differ; staff confirmed the chair's figures"
        return "observed, nothing to compare yet" if self.sources == 1 else "-"

    @property
    def state_label(self) -> str:
        return state_label(self.state, self.stages)


@dataclass
class Tally:
    name: str
    total: int = 0
    reporting: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))


@dataclass
class Board:
    rows: list[Row]
    counties: list[Tally]
    statewide: Tally
    matching: int = 0   # rows matching the filters, on every page
    page: int = 1
    pages: int = 1
    per_page: int = 0   # 0: every matching row on one page


PAGE_SIZES = (50, 100, 250, 500)
PAGE_SIZE = 100  # the board's default: 1,765 precincts make 18 pages, not one endless one


def _latest_confirmed(s: Session) -> dict[int, Submission]:
    """The newest confirmation per precinct (the one `reports.latest_confirmed` would give)."""
    newest = (select(Submission.precinct_id, func.max(Submission.confirmed_at).label("at"))
              .where(Submission.status == CONFIRMED).group_by(Submission.precinct_id).subquery())
    rows = s.execute(select(Submission).join(newest, (Submission.precinct_id == newest.c.precinct_id)
                                             & (Submission.confirmed_at == newest.c.at))).scalars()
    return {sub.precinct_id: sub for sub in rows}


def _opted_out(s: Session) -> set[int]:
    """The precincts whose chair has a registered phone that is opted out of texts."""
    return set(s.execute(select(Chair.precinct_id).join(ChairPhone, ChairPhone.chair_id == Chair.id)
                         .join(PhoneOptOut, PhoneOptOut.phone == ChairPhone.phone)
                         .where(PhoneOptOut.opted_out.is_(True))).scalars())


def _state(stages: set[str], awaiting: bool, corrected: bool, latest: Submission | None) -> str:
    if latest is not None and latest.flagged and latest.explained_at is None:
        return "flagged"
    if awaiting:
        return "awaiting"
    if stages and not ALL_STAGES <= stages:
        return "partial"
    if latest is not None and latest.source == "staff" and latest.approved_by:
        return "approved"
    if corrected:
        return "corrected"
    return "confirmed" if stages else "not_reported"


def show(units: Units, *, county: str | None = None, state: str | None = None,
         code: str | None = None, page: int = 1, per_page: int = PAGE_SIZE) -> Board:
    """The precinct board: every precinct's state, the rows filtered by county, state and code,
    in natural order (DSM-2 before DSM-10), one page of `per_page` rows (a size not offered
    falls back to PAGE_SIZE; a page past the end shows the last)."""
    with units.reading() as s:
        board = build(s, units.config, county=county, state=state, code=code)
    return paged(board, page, per_page)


def paged(board: Board, page: int, per_page: int) -> Board:
    """`board` cut to one page."""
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZE
    matching = len(board.rows)
    pages = max(1, -(-matching // per_page))
    page = min(max(1, page), pages)
    rows = board.rows[(page - 1) * per_page:page * per_page]
    return Board(rows, board.counties, board.statewide, matching, page, pages, per_page)


def build(s: Session, config: Config, *, county: str | None = None, state: str | None = None,
          code: str | None = None) -> Board:
    """Every precinct's state; the tallies cover all precincts, the rows only those matching the filters."""
    current: dict[int, set[str]] = {}
    for pid, stage in s.execute(select(Report.precinct_id, Report.stage).where(Report.status == CURRENT)):
        current.setdefault(pid, set()).add(stage)
    corrected = set(s.execute(select(Report.precinct_id).where(Report.status == SUPERSEDED)).scalars())
    awaiting = set(s.execute(select(Submission.precinct_id).where(Submission.status == AWAITING)).scalars())
    latest = _latest_confirmed(s)
    reporting = {r.precinct for r in results.publishable(s)}
    marks = photo_rows.board_marks(s)
    opted_out = _opted_out(s)
    seen = sources.corroboration(s, config)
    conflicts = set(s.execute(select(BacklogItem.precinct_id).where(BacklogItem.kind == "source_conflict",
                                                                    BacklogItem.resolved_at.is_(None))).scalars())
    statewide, tallies, rows = Tally("Statewide"), {}, []
    for p in sorted(s.execute(select(Precinct)).scalars(), key=lambda p: natural_key(p.code)):
        stages = current.get(p.id, set())
        st = _state(stages, p.id in awaiting, p.id in corrected, latest.get(p.id))
        tally = tallies.setdefault(p.county.name, Tally(p.county.name))
        for t in (tally, statewide):
            t.total += 1
            t.reporting += p.code in reporting
            t.states[st] += 1
        if (county and p.county.name != county) or (state and st != state) or \
                (code and code.strip().upper() not in p.code):
            continue
        sub = latest.get(p.id)
        rows.append(Row(p.code, p.name, p.county.name, st, tuple(x.value for x in Stage if x.value in stages),
                        p.code in reporting, sub.confirmed_at if sub else None,
                        (marks[p.id] or "not_checked") if p.id in marks else "missing",
                        p.id in opted_out, seen[p.id].sources if p.id in seen else 0,
                        seen[p.id].organisations if p.id in seen else (), p.id in conflicts,
                        seen[p.id].conflicts if p.id in seen else 0))
    return Board(rows, [tallies[k] for k in sorted(tallies)], statewide, len(rows), 1, 1, 0)


def export(units: Units) -> list[dict[str, Any]]:
    """Every precinct's current numbers per candidate, published or not (the admin export)."""
    with units.reading() as s:
        return result_rows(s, units.config)


def result_rows(s: Session, config: Config) -> list[dict[str, Any]]:
    """Every precinct's current numbers (published or not) per candidate, for the admin export."""
    board = {r.code: r for r in build(s, config).rows}
    by_precinct: dict[str, dict[str, dict[str, int]]] = {}
    q = select(Precinct.code, Report.stage, Report.counts).join(Precinct, Precinct.id == Report.precinct_id)
    for code, stage, counts in s.execute(q.where(Report.status == CURRENT)):
        by_precinct.setdefault(code, {})[stage] = counts
    out = []
    for code, stages in sorted(by_precinct.items(), key=lambda kv: natural_key(kv[0])):
        row = board[code]
        names = dict.fromkeys(n for st in Stage for n in stages.get(st.value, {}))
        for name in names:
            out.append({"county": row.county, "precinct": code, "state": row.state,
                        "published": row.reporting, "sources_agreeing": row.sources,
                        "corroborated_by": "; ".join(row.corroborated_by), "source_conflict": row.conflict,
                        "candidate": name,
                        **{st.value: stages.get(st.value, {}).get(name, "") for st in Stage}})
    return out


@dataclass(frozen=True)
class Headline:
    """The home page's figures."""

    precincts: int
    reporting: int  # precincts with at least one counting report
    texts: int      # texts received


def headline(units: Units) -> Headline:
    """How many precincts there are, how many have a counting report, how many texts came in."""
    with units.reading() as s:
        precincts = s.scalar(select(func.count()).select_from(Precinct)) or 0
        reporting = s.scalar(select(func.count(func.distinct(Report.precinct_id)))
                             .where(Report.status == CURRENT)) or 0
        texts = s.scalar(select(func.count()).select_from(InboundMessage)) or 0
    return Headline(precincts, reporting, texts)
