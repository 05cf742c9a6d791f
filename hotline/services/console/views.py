"""What the console pages show, copied into plain values inside a use case's transaction.

Pages render after the transaction has ended, and a read snapshot's rollback expires every row
it loaded; these values carry everything a template reads, so no page loads a row by accident.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.adapters.models import BacklogItem, Precinct, Submission, Worksheet
from hotline.domain.model import Stage


class UnknownPrecinct(LookupError):
    """No precinct has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"There is no precinct {code.upper()}.")
        self.code = code.upper()


@dataclass(frozen=True)
class PrecinctView:
    id: int
    code: str
    name: str
    county: str
    delegates_to_elect: int | None


def precinct_view(p: Precinct) -> PrecinctView:
    """The precinct as pages show it (its county is loaded with it)."""
    return PrecinctView(p.id, p.code, p.name, p.county.name, p.delegates_to_elect)


@dataclass(frozen=True)
class ItemView:
    """One backlog item: what happened, who holds it, how it ended."""

    id: int
    kind: str
    priority: int
    summary: str
    detail: dict[str, Any]
    phone: str | None
    created_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    precinct: PrecinctView | None


def item_view(item: BacklogItem) -> ItemView:
    """The item as pages show it (its precinct is loaded with it)."""
    return ItemView(item.id, item.kind, item.priority, item.summary, dict(item.detail or {}), item.phone,
                    item.created_at, item.claimed_by, item.claim_expires_at, item.resolved_at,
                    item.resolved_by, item.note, precinct_view(item.precinct) if item.precinct else None)


@dataclass(frozen=True)
class ReportView:
    stage: str
    counts: dict[str, int]
    status: str


@dataclass(frozen=True)
class SubmissionView:
    """One read-back or staff entry with its stages, checks and how it ended."""

    id: int
    precinct_code: str
    status: str
    source: str
    sender: str
    attendance: int | None
    findings: list[dict[str, Any]]
    flagged: bool
    photo_urls: tuple[str, ...]
    created_at: datetime
    confirmed_at: datetime | None
    approved_by: str | None
    explained_at: datetime | None
    explained_by: str | None
    explanation: str | None
    reports: tuple[ReportView, ...]


def submission_view(sub: Submission) -> SubmissionView:
    """The submission as pages show it; its reports must be loaded (selectinload) or loadable."""
    return SubmissionView(sub.id, sub.precinct.code, sub.status, sub.source, sub.sender, sub.attendance,
                          list(sub.findings or []), bool(sub.flagged), tuple(sub.photo_urls or ()),
                          sub.created_at, sub.confirmed_at, sub.approved_by, sub.explained_at,
                          sub.explained_by, sub.explanation,
                          tuple(ReportView(r.stage, dict(r.counts), r.status) for r in sub.reports))


@dataclass(frozen=True)
class SheetView:
    """A paper worksheet's numbers as an administrator copied them."""

    id: int
    precinct_id: int
    entered_by: str
    created_at: datetime
    note: str | None
    attendance: int | None
    stages: dict[Stage, dict[str, int]]


def sheet_view(ws: Worksheet) -> SheetView:
    """The worksheet with its numbers by stage (stages it lacks left out)."""
    raw = {Stage.FIRST: ws.first, Stage.FINAL: ws.final, Stage.DELEGATES: ws.delegates}
    return SheetView(ws.id, ws.precinct_id, ws.entered_by, ws.created_at, ws.note, ws.attendance,
                     {stage: dict(counts) for stage, counts in raw.items() if counts})
