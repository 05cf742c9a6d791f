"""Output of the bulk audit: streamed JSON records, the flagged-precinct table, and the summary."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from hotline.audit.rows import Precinct
from hotline.domain.caucus_math import sde
from hotline.domain.findings import Finding, Severity
from hotline.domain.model import PrecinctResults
from hotline.domain.rules import RuleSet


def write_json_record(out: TextIO, record: dict, *, first: bool) -> None:
    """One element of the streamed "precincts" array."""
    out.write(("\n" if first else ",\n") + json.dumps(record))


_COLUMNS = "{:<14} {:<14} {:<8} {:<30} {}\n"


def write_table_row(out: TextIO, record: dict, findings: list[Finding], *, first: bool) -> None:
    """The errors and warnings of one flagged precinct, one line each."""
    if first:
        out.write("Flagged precincts\n")
        out.write(_COLUMNS.format("COUNTY", "PRECINCT", "SEVERITY", "CODE", "MESSAGE"))
    county, precinct = record["county"] or "", record["precinct"]
    for f in findings:
        if f.severity is not Severity.INFO:
            out.write(_COLUMNS.format(county[:14], precinct[:14], f.severity.value, f.code, f.message))
            county = precinct = ""  # name the precinct once, like a printed table


@dataclass(slots=True)
class CandidateTotals:
    """Reported numbers of one candidate summed over the file."""

    first: int = 0
    final: int = 0
    county_delegates: int = 0
    sde: Decimal = Decimal(0)


class Summary:
    """Running totals over the audit pass: bounded by the number of candidates and codes."""

    def __init__(self, *, sde_known: bool, rules: RuleSet) -> None:
        self.precincts = self.flagged = 0
        self.by_code: dict[str, int] = {}
        self.totals: dict[str, CandidateTotals] = {}
        self.sde_known, self.rules = sde_known, rules
        self._sde_column_used = False

    def add(self, record: dict, findings: list[Finding], precinct: Precinct,
            results: PrecinctResults) -> None:
        """Count one audited precinct: flags, precincts per code, reported numbers per candidate."""
        self.precincts += 1
        self.flagged += bool(record["flagged"])
        for code in dict.fromkeys(f.code for f in findings):
            self.by_code[code] = self.by_code.get(code, 0) + 1
        sdes = (sde(results.delegates, results.county_ratio, self.rules)
                if results.delegates and results.county_ratio is not None else {})
        for row in precinct.rows:
            t = self.totals.get(row.candidate) or self.totals.setdefault(row.candidate, CandidateTotals())
            t.first += row.first or 0
            t.final += row.final or 0
            t.county_delegates += row.county_delegates or 0
            if self.sde_known:
                t.sde += sdes.get(row.candidate, Decimal(0))
            elif row.sde is not None:
                self._sde_column_used = True
                t.sde += row.sde

    def as_dict(self) -> dict:
        """The "summary" object: SDE totals come from the counties file, else the file's sde column."""
        with_sde = self.sde_known or self._sde_column_used
        totals = {name: {"first": t.first, "final": t.final, "county_delegates": t.county_delegates,
                         "sde": float(t.sde) if with_sde else None}
                  for name, t in self.totals.items()}
        by_code = dict(sorted(self.by_code.items(), key=lambda kv: (-kv[1], kv[0])))
        return {"precincts": self.precincts, "flagged": self.flagged, "by_code": by_code, "totals": totals}

    def write_table(self, out: TextIO) -> None:
        """The readable summary: counts, precincts per finding code, and totals per candidate."""
        data = self.as_dict()
        out.write(f"\nSummary: {data['precincts']} precincts audited, {data['flagged']} flagged\n")
        out.write("Precincts per finding code:\n")
        for code, n in data["by_code"].items():
            out.write(f"  {code:<32} {n:>7}\n")
        out.write(f"\n{'CANDIDATE':<20} {'FIRST':>10} {'FINAL':>10} {'COUNTY DEL':>11} {'SDE':>12}\n")
        ranked = sorted(data["totals"].items(), key=lambda kv: (-kv[1]["county_delegates"], kv[0]))
        for name, t in ranked:
            sde_text = "" if t["sde"] is None else f"{t['sde']:.4f}"
            out.write(f"{name[:20]:<20} {t['first']:>10} {t['final']:>10} {t['county_delegates']:>11}"
                      f" {sde_text:>12}\n")
