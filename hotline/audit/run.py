"""Bulk audit of a results CSV against the caucus rules: a validation pass, then a streaming audit pass.

Two passes over the file keep memory bounded (nothing is held per row) and
guarantee that a bad row stops everything before any output is written.
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Iterator, TextIO

from hotline.audit.report import Summary, write_json_record, write_table_row
from hotline.audit.rows import AuditInputError, Precinct, ResultsReader, Row, read_counties
from hotline.domain.caucus_math import sde
from hotline.domain.checks import evaluate, fingerprint
from hotline.domain.findings import Finding, Severity, by_severity, is_flagged
from hotline.domain.model import PrecinctResults
from hotline.domain.rules import IOWA_2020, RuleSet

__all__ = ["AuditInputError", "Auditor", "read_counties", "run_audit", "to_results"]


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
            exponent = row.sde.as_tuple().exponent
            places = min(max(-exponent, 0) if isinstance(exponent, int) else 0, self.rules.sde_places)
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
