"""Reading the bulk-audit input files: columns, numbers, contiguous precinct blocks, problems by line."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Iterator

REQUIRED = ("county", "precinct", "delegates", "candidate", "first", "final", "county_delegates")
OPTIONAL = ("attendance", "sde", "past_turnout")
MAX_PROBLEMS = 50


class AuditInputError(Exception):
    """The input files have bad rows; `problems` says where (nothing was audited)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Problems:
    """Validation problems by line number, capped so a wholly wrong file stays readable."""

    def __init__(self, name: str) -> None:
        self.name, self.lines, self.count = name, [], 0

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.lines) < MAX_PROBLEMS:
            self.lines.append(f"{self.name} line {line}: {message}")

    def raise_if_any(self) -> None:
        if self.count:
            extra = [f"... and {self.count - MAX_PROBLEMS} more"] if self.count > MAX_PROBLEMS else []
            raise AuditInputError(self.lines + extra)


@dataclass(slots=True)
class Row:
    """One candidate's numbers in one precinct (None = blank cell)."""

    line: int
    candidate: str
    first: int | None
    final: int | None
    county_delegates: int | None
    sde: Decimal | None


@dataclass
class Precinct:
    """A precinct's contiguous rows and its precinct-level fields."""

    county: str
    precinct: str
    line: int
    delegates: int | None
    attendance: int | None = None
    past_turnout: int | None = None
    rows: list[Row] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str]:
        return self.county, self.precinct


def _int(text: str, line: int, column: str, problems: Problems, minimum: int = 0,
         required: bool = False) -> int | None:
    if text.isdecimal():  # the common case, kept cheap: this runs for every cell of a 100x file
        value = int(text)
        if value < minimum:
            problems.add(line, f"{column}: {value} is below {minimum}")
        return value
    text = text.strip()
    if not text:
        if required:
            problems.add(line, f"{column} is blank")
        return None
    try:
        value = int(text)
    except ValueError:
        problems.add(line, f"{column}: {text!r} is not a whole number")
        return None
    if value < minimum:
        problems.add(line, f"{column}: {value} is below {minimum}")
    return value


def _decimal(text: str, line: int, column: str, problems: Problems) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if text.isdecimal():
        return Decimal(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        problems.add(line, f"{column}: {text!r} is not a number of 0 or more")
        return None
    return value


def _columns(header: list[str] | None, problems: Problems, required: tuple[str, ...],
             optional: tuple[str, ...]) -> dict[str, int] | None:
    names = [h.strip().lower() for h in header or []]
    missing = [c for c in required if c not in names]
    if missing:
        problems.add(1, "missing column(s): " + ", ".join(missing))
        return None
    return {c: names.index(c) for c in required + optional if c in names}


COUNTY_COLUMNS = ("county", "state_delegates", "county_delegates")


def read_counties(path: str | Path) -> dict[str, Fraction]:
    """County ratios R_c = state delegates / county delegates from a counties CSV; raises AuditInputError."""
    problems, ratios = Problems(Path(path).name), {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        cols = _columns(next(reader, None), problems, COUNTY_COLUMNS, ()) or {}
        for row in reader if cols else ():
            if not any(c.strip() for c in row):
                continue
            entry = _county_row(row, cols, reader.line_num, problems)
            if entry and entry[0] in ratios:
                problems.add(reader.line_num, f"county {entry[0]} appears twice")
            elif entry:
                ratios[entry[0]] = entry[1]
    problems.raise_if_any()
    return ratios


def _county_row(row: list[str], cols: dict[str, int], line: int,
                problems: Problems) -> tuple[str, Fraction] | None:
    if len(row) <= max(cols.values()):
        problems.add(line, f"expected {max(cols.values()) + 1} fields, found {len(row)}")
        return None
    county = row[cols["county"]].strip()
    state = _int(row[cols["state_delegates"]], line, "state_delegates", problems, required=True)
    total = _int(row[cols["county_delegates"]], line, "county_delegates", problems, 1, required=True)
    if not county:
        problems.add(line, "county is blank")
    if not county or state is None or total is None or total < 1:
        return None
    return county, Fraction(state, total)


class ResultsReader:
    """Parses the results file into contiguous precincts, recording every problem by line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.problems = Problems(self.path.name)

    def precincts(self) -> Iterator[Precinct]:
        """Yield each precinct's block of rows, in file order."""
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            cols = _columns(next(reader, None), self.problems, REQUIRED, OPTIONAL)
            if cols is None:
                return
            current: Precinct | None = None
            for row in reader:
                if not row or not any(row):
                    continue
                found = self._row(row, cols, reader.line_num, current)
                if found is not None and found is not current:
                    if current is not None:
                        yield current
                    current = found
            if current is not None:
                yield current

    def _row(self, row: list[str], cols: dict[str, int], line: int, current: Precinct | None) -> Precinct | None:
        """Parse one row into `current` (or a new precinct, returned); None when the row is unusable."""
        p, width = self.problems, max(cols.values()) + 1
        if len(row) < width:
            p.add(line, f"expected at least {width} fields, found {len(row)}")
            return current
        county, precinct = row[cols["county"]].strip(), row[cols["precinct"]].strip()
        candidate = row[cols["candidate"]].strip()
        if not county or not precinct or not candidate:
            p.add(line, "county, precinct and candidate must not be blank")
            return current
        delegates = _int(row[cols["delegates"]], line, "delegates", p, 1)
        if current is None or current.county != county or current.precinct != precinct:
            current = Precinct(county, precinct, line, delegates)
        elif delegates != current.delegates:
            p.add(line, f"precinct {precinct} has two different delegates values"
                        f" ({_text(current.delegates)} and {_text(delegates)})")
        for name in self._precinct_fields(cols):
            self._merge(current, name, _int(row[cols[name]], line, name, p), line)
        if candidate in current.names:
            p.add(line, f"candidate {candidate} appears twice in precinct {precinct}")
        current.names.add(candidate)
        current.rows.append(Row(line, candidate, _int(row[cols["first"]], line, "first", p),
                                _int(row[cols["final"]], line, "final", p),
                                _int(row[cols["county_delegates"]], line, "county_delegates", p),
                                _decimal(row[cols["sde"]], line, "sde", p) if "sde" in cols else None))
        return current

    @staticmethod
    def _precinct_fields(cols: dict[str, int]) -> tuple[str, ...]:
        return tuple(name for name in ("attendance", "past_turnout") if name in cols)

    def _merge(self, precinct: Precinct, name: str, value: int | None, line: int) -> None:
        """Precinct-level numbers may be repeated on every row or given once, but must not disagree."""
        known = getattr(precinct, name)
        if value is not None and known is not None and value != known:
            self.problems.add(line, f"precinct {precinct.precinct} has two different {name} values"
                                    f" ({known} and {value})")
        elif value is not None:
            setattr(precinct, name, value)


def _text(value: int | None) -> str:
    return "blank" if value is None else str(value)
