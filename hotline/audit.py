"""Bulk audit of a results CSV against the caucus rules: a validation pass, then a streaming audit pass.

Two passes over the file keep memory bounded (nothing is held per row) and
guarantee that a bad row stops everything before any output is written.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Iterator, TextIO

from hotline.audit_report import Summary, write_json_record, write_table_row
from hotline.domain.caucus_math import sde
from hotline.domain.checks import evaluate, fingerprint
from hotline.domain.findings import Finding, Severity, by_severity, is_flagged
from hotline.domain.model import PrecinctResults
from hotline.domain.rules import IOWA_2020, RuleSet

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
        cols = _columns(next(reader, None), problems, COUNTY_COLUMNS, ())
        for row in reader if cols else ():
            if not any(c.strip() for c in row):
                continue
            entry = _county_row(row, cols, reader.line_num, problems)  # type: ignore[arg-type]
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
        for name in ("attendance", "past_turnout"):
            if name in cols:
                self._merge(current, name, _int(row[cols[name]], line, name, p), line)
        if candidate in current.names:
            p.add(line, f"candidate {candidate} appears twice in precinct {precinct}")
        current.names.add(candidate)
        current.rows.append(Row(line, candidate, _int(row[cols["first"]], line, "first", p),
                                _int(row[cols["final"]], line, "final", p),
                                _int(row[cols["county_delegates"]], line, "county_delegates", p),
                                _decimal(row[cols["sde"]], line, "sde", p) if "sde" in cols else None))
        return current

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


def _stage(rows: list[Row], attr: str) -> tuple[dict[str, int] | None, list[str]]:
    """A stage as counts (None if wholly blank) and the candidates left blank in a partly filled stage."""
    values = [(r.candidate, getattr(r, attr)) for r in rows]
    if all(v is None for _, v in values):
        return None, []
    return {c: v or 0 for c, v in values}, [c for c, v in values if v is None]


def to_results(p: Precinct, ratio: Fraction | None) -> tuple[PrecinctResults, list[str]]:
    """The precinct as the checks see it, plus a finding text per partly blank stage."""
    first, blank_first = _stage(p.rows, "first")
    final, blank_final = _stage(p.rows, "final")
    dels, blank_dels = _stage(p.rows, "county_delegates")
    results = PrecinctResults(p.precinct, p.delegates, first, final, dels, p.attendance, p.county,
                              ratio, p.past_turnout)
    partial = [f"The {label} has no number for {', '.join(blank)} while other candidates have one"
               " (a partial report); blanks were read as 0."
               for label, blank in (("first alignment", blank_first), ("final alignment", blank_final),
                                    ("county delegates", blank_dels)) if blank]
    return results, partial


class Auditor:
    """Runs both passes: validate everything, then audit precinct by precinct, writing as it goes."""

    def __init__(self, path: str | Path, counties_path: str | Path | None = None,
                 rules: RuleSet = IOWA_2020) -> None:
        self.reader, self.rules = ResultsReader(path), rules
        self.ratios = read_counties(counties_path) if counties_path else None
        self._later: dict[int, list[tuple[str, str]]] = {}
        self._first_seen: dict[int, tuple[str, str]] = {}

    def validate(self) -> int:
        """Pass 1: every problem by line number (raises AuditInputError); returns the precinct count."""
        seen: dict[str, int] = {}
        copies: dict[int, int] = {}
        count = 0
        for p in self.reader.precincts():
            count += 1
            ident = f"{p.county}\x1f{p.precinct}"
            if ident in seen:
                self.reader.problems.add(p.line, f"precinct {p.precinct} ({p.county}) appears again; its"
                                                 f" rows must be together (first seen at line {seen[ident]})")
            seen[ident] = seen.get(ident, p.line)
            if self.ratios is not None and p.county not in self.ratios:
                self.reader.problems.add(p.line, f"county {p.county} is not in the counties file")
            self._note_copy(p, copies)
        self.reader.problems.raise_if_any()
        return count

    def _note_copy(self, p: Precinct, copies: dict[int, int]) -> None:
        # Only a 64-bit hash per precinct is kept; the second pass names the copies.
        fp = fingerprint(to_results(p, None)[0], self.rules)
        if fp is None:
            return
        h = hash(fp)
        copies[h] = copies.get(h, 0) + 1
        if copies[h] > 1:
            self._later.setdefault(h, []).append(p.key)

    def records(self) -> Iterator[tuple[dict, list[Finding], Precinct, PrecinctResults]]:
        """Pass 2: one output record per precinct, with its findings and the results judged."""
        for p in self.reader.precincts():
            ratio = self.ratios.get(p.county) if self.ratios is not None else None
            results, partial = to_results(p, ratio)
            evaluation = evaluate(results, self.rules, expect_complete=True, others=self._others(results))
            extra = [Finding("stage-partial", Severity.ERROR, text) for text in partial]
            extra += self._sde_findings(p, results)
            findings = by_severity(extra + evaluation.findings)
            yield self._record(results, evaluation, findings), findings, p, results

    def _others(self, results: PrecinctResults) -> list[PrecinctResults]:
        fp = fingerprint(results, self.rules)
        h = hash(fp) if fp is not None else None
        if h is None or h not in self._later:
            return []
        key = (results.county or "", results.precinct)
        keys = [self._first_seen[h]] if h in self._first_seen else []
        keys += [k for k in self._later[h] if k != key]
        self._first_seen.setdefault(h, key)
        return [PrecinctResults(k[1], None, results.first, results.final, county=k[0]) for k in keys]

    def _sde_findings(self, p: Precinct, results: PrecinctResults) -> list[Finding]:
        """Reported SDEs must be d x R_c rounded (to the decimals the file gives, at most the rule's)."""
        ratio = results.county_ratio
        if ratio is None:
            return []
        out = []
        for row in p.rows:
            if row.sde is None or row.county_delegates is None:
                continue
            places = min(max(-row.sde.as_tuple().exponent, 0), self.rules.sde_places)  # type: ignore[operator]
            expected = sde({"_": row.county_delegates}, ratio, places=places)["_"]
            if expected != row.sde:
                plural = "" if row.county_delegates == 1 else "s"
                out.append(Finding("sde-mismatch", Severity.ERROR,
                                   f"{row.candidate}: the SDEs given ({row.sde}) should be {expected}:"
                                   f" {row.county_delegates} county delegate{plural} x the county ratio"
                                   f" {ratio.numerator}/{ratio.denominator}, rounded to {places} decimals.",
                                   row.candidate, f"SDEs for {row.candidate} should be {expected}, not {row.sde}."))
        return out

    def _record(self, results: PrecinctResults, evaluation, findings: list[Finding]) -> dict:
        alloc, reported = evaluation.allocation, results.delegates or {}
        if results.delegates_to_elect is None:
            computed, alternatives = dict(reported), []  # satellite: delegates are taken as given
        elif alloc is None or not alloc.options:
            computed, alternatives = {}, []
        else:
            chosen = next((o for o in alloc.options if alloc.is_consistent(reported)
                           and _same(o, reported)), alloc.options[0])
            computed, alternatives = chosen, [o for o in alloc.options if o is not chosen]
        computed_sde = ({c: float(v) for c, v in sde(computed, results.county_ratio, self.rules).items()}
                        if results.county_ratio is not None else None)
        return {"county": results.county, "precinct": results.precinct, "flagged": is_flagged(findings),
                "computed": computed, "alternatives": alternatives, "computed_sde": computed_sde,
                "findings": [f.as_dict() for f in findings]}


def _same(option: dict[str, int], reported: dict[str, int]) -> bool:
    names = set(option) | set(reported)
    return all(option.get(n, 0) == reported.get(n, 0) for n in names)


def run_audit(path: str | Path, counties_path: str | Path | None = None, *, as_json: bool = False,
              out: TextIO, rules: RuleSet = IOWA_2020) -> Summary:
    """Validate the whole file, then stream the audit to `out` (JSON or a table); raises AuditInputError."""
    auditor = Auditor(path, counties_path, rules)
    auditor.validate()
    summary = Summary(sde_known=auditor.ratios is not None, rules=rules)
    if as_json:
        out.write('{"precincts": [')
    for index, (record, findings, precinct, results) in enumerate(auditor.records()):
        summary.add(record, findings, precinct, results)
        if as_json:
            write_json_record(out, record, first=index == 0)
        elif record["flagged"]:
            write_table_row(out, record, findings, first=summary.flagged == 1)
    if as_json:
        out.write("\n], \"summary\": " + json.dumps(summary.as_dict()) + "}\n")
    else:
        summary.write_table(out)
    return summary
