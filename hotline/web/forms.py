"""Reading the per-candidate number grid (staff entry, paper worksheets) and small form helpers."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from werkzeug.datastructures import MultiDict

from hotline.domain.model import Candidate, Stage


def field(stage: Stage, index: int) -> str:
    """The input name for one candidate's number in one stage (index in ballot order)."""
    return f"{stage.value}-{index}"


def read_grid(form: MultiDict, candidates: Sequence[Candidate]) -> tuple[dict[Stage, dict[str, int]], int | None, list[str]]:
    """Numbers by stage (blank cells left out), the attendance, and plain-words problems."""
    stages: dict[Stage, dict[str, int]] = {}
    problems: list[str] = []
    for stage in Stage:
        for i, cand in enumerate(candidates):
            raw = (form.get(field(stage, i)) or "").strip()
            if raw == "":
                continue
            if not raw.isdigit() or int(raw) > 100000:
                problems.append(f"{stage.label}, {cand.name}: '{raw}' is not a whole number.")
                continue
            stages.setdefault(stage, {})[cand.name] = int(raw)
    attendance = None
    raw = (form.get("attendance") or "").strip()
    if raw:
        if raw.isdigit():
            attendance = int(raw)
        else:
            problems.append(f"Attendance: '{raw}' is not a whole number.")
    return stages, attendance, problems


def grid_values(stages: Mapping[Stage, Mapping[str, int]], candidates: Sequence[Candidate],
                attendance: int | None = None) -> dict[str, str]:
    """Input values to prefill the grid with (e.g. from a paper worksheet)."""
    values = {field(stage, i): str(counts[c.name]) for stage, counts in stages.items()
              for i, c in enumerate(candidates) if c.name in counts}
    if attendance is not None:
        values["attendance"] = str(attendance)
    return values


def parse_time(raw: str | None) -> datetime | None:
    """An `<input type=datetime-local>` value, read as UTC; None when blank or malformed."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
