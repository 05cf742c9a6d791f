"""CSV imports of the roster, counties and candidates: all rows valid, or nothing written."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CandidateRow, Chair, ChairPhone, County, Observer, ObserverPhone, Precinct
from hotline.domain.languages import LANGUAGES
from hotline.domain.verification import hash_pin, normalize_phone
from hotline.services.log import chain as vlog
from hotline.services.records import roster
from hotline.services.units import Units

PRECINCT_CODE = re.compile(r"^[A-Z]{1,6}-\d{1,4}[A-Z]?$")
ROSTER_COLUMNS = ("precinct", "county", "name", "delegates", "chair", "phones", "pin")
CANDIDATE_COLUMNS = ("name", "aliases", "ballot_order")
COUNTY_COLUMNS = ("county", "state_delegates")


class ImportError_(Exception):
    """Rows that cannot be imported, each as `line N: problem`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


@dataclass
class Rows:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_rows(fh: IO[str], required: tuple[str, ...]) -> Rows:
    """The file's rows by line number, header names lower-cased, values stripped (missing columns noted)."""
    reader = csv.DictReader(fh)
    out = Rows()
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        out.errors.append(f"line 1: missing column(s) {', '.join(missing)}")
        return out
    reader.fieldnames = header
    for row in reader:
        out.rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
    if not out.rows:
        out.errors.append("the file has no data rows")
    return out


def _int(value: str, what: str, line: int, errors: list[str], lo: int, hi: int) -> int | None:
    try:
        n = int(value)
    except ValueError:
        errors.append(f"line {line}: {what} '{value}' is not a whole number")
        return None
    if not lo <= n <= hi:
        errors.append(f"line {line}: {what} {n} is outside {lo}..{hi}")
        return None
    return n


def parse_phones(value: str, line: int, errors: list[str]) -> tuple[str, ...]:
    """Phone numbers separated by ';' as E.164 (each once); () and a problem noted when any is not one."""
    phones = [normalize_phone(p) for p in re.split(r"[;|]", value) if p.strip()]
    if not phones or None in phones:
        errors.append(f"line {line}: phones '{value}' must be phone numbers separated by ';'")
        return ()
    return tuple(dict.fromkeys(p for p in phones if p))


def check_pin(pin: str, line: int, errors: list[str]) -> None:
    if not re.fullmatch(r"\d{4,8}", pin):
        errors.append(f"line {line}: PIN must be 4 to 8 digits")


def parse_language(value: str, line: int, errors: list[str]) -> str:
    """The optional `language` column: en (blank) or es."""
    language = (value or "en").lower()
    if language not in LANGUAGES:
        errors.append(f"line {line}: language '{value}' is not supported (use {' or '.join(LANGUAGES)})")
    return language


def observer_phones(s: Session) -> dict[str, str]:
    """Every observer's phone -> "Name (organisation)": a chair may not share one."""
    rows = s.execute(select(ObserverPhone.phone, Observer.name, Observer.organisation)
                     .join(Observer, Observer.id == ObserverPhone.observer_id))
    return {phone: f"{name} ({organisation})" for phone, name, organisation in rows}


@dataclass(frozen=True)
class RosterRow:
    code: str
    county: str
    name: str
    delegates: int | None
    chair: str
    phones: tuple[str, ...]
    pin: str
    past_turnout: int | None
    language: str = "en"


def parse_roster(fh: IO[str], observers: Mapping[str, str] | None = None) -> list[RosterRow]:
    """Validate a roster CSV; raise ImportError_ listing every bad row. `observers`: the phones
    observers registered (see observer_phones), which no chair may use."""
    data = read_rows(fh, ROSTER_COLUMNS)
    errors, out, seen, taken = data.errors, [], {}, observers or {}
    for line, r in data.rows:
        before = len(errors)
        code = r["precinct"].upper()
        if not PRECINCT_CODE.match(code):
            errors.append(f"line {line}: precinct code '{r['precinct']}' should look like DSM-42")
        elif code in seen:
            errors.append(f"line {line}: precinct {code} is also on line {seen[code]}")
        seen.setdefault(code, line)
        delegates = None if r["delegates"] == "" else _int(r["delegates"], "delegates", line, errors, 1, 99)
        turnout = None if r.get("past_turnout", "") == "" else _int(r["past_turnout"], "past_turnout", line, errors, 0, 100000)
        phones = parse_phones(r["phones"], line, errors)
        for phone in (p for p in phones if p in taken):
            errors.append(f"line {line}: {phone} is the phone of the observer {taken[phone]}: "
                          "a chair needs their own phone")
        check_pin(r["pin"], line, errors)
        for col in ("county", "name", "chair"):
            if not r[col]:
                errors.append(f"line {line}: {col} is empty")
        language = parse_language(r.get("language", ""), line, errors)
        if len(errors) == before:
            out.append(RosterRow(code, r["county"], r["name"], delegates, r["chair"],
                                 phones, r["pin"], turnout, language))
    if errors:
        raise ImportError_(errors)
    return out


def import_roster(s: Session, fh: IO[str], actor: str = "cli") -> int:
    """Create or update precincts and chairs from a roster CSV; returns the row count."""
    rows = parse_roster(fh, observer_phones(s))
    counties = {c.name: c for c in s.execute(select(County)).scalars()}
    existing = {p.code: p for p in s.execute(select(Precinct)).scalars()}
    for row in rows:
        county = counties.get(row.county)
        if county is None:
            county = counties[row.county] = County(name=row.county)
            s.add(county)
        precinct = existing.get(row.code) or Precinct(code=row.code)
        precinct.name, precinct.county = row.name, county
        precinct.delegates_to_elect, precinct.past_turnout = row.delegates, row.past_turnout
        s.add(precinct)
        s.flush()
        chair = precinct.chair or Chair(precinct_id=precinct.id)
        chair.name, chair.pin_hash, chair.language = row.chair, hash_pin(row.pin), row.language
        # Keep rows for numbers that stay, so the (chair, phone) unique key is never hit twice.
        kept = {p.phone: p for p in chair.phones}
        chair.phones = [kept.get(p) or ChairPhone(phone=p) for p in dict.fromkeys(row.phones)]
        s.add(chair)
    s.flush()
    vlog.record(s, "roster_imported", actor=actor, rows=len(rows))
    return len(rows)


def import_counties(s: Session, fh: IO[str], actor: str = "cli") -> int:
    """Set each county's state-convention delegates (for SDEs)."""
    data = read_rows(fh, COUNTY_COLUMNS)
    errors, values = data.errors, []
    for line, r in data.rows:
        n = _int(r["state_delegates"], "state_delegates", line, errors, 0, 10000)
        if not r["county"]:
            errors.append(f"line {line}: county is empty")
        values.append((r["county"], n))
    if errors:
        raise ImportError_(errors)
    counties = {c.name: c for c in s.execute(select(County)).scalars()}
    for name, n in values:
        county = counties.get(name) or County(name=name)
        county.state_delegates = n
        s.add(county)
    vlog.record(s, "counties_imported", actor=actor, rows=len(values))
    return len(values)


def import_candidates(s: Session, fh: IO[str], actor: str = "cli") -> int:
    """Replace the candidate list (names, aliases separated by '|', ballot order)."""
    data = read_rows(fh, CANDIDATE_COLUMNS)
    errors, rows, names = data.errors, [], set()
    for line, r in data.rows:
        order = _int(r["ballot_order"], "ballot_order", line, errors, 0, 1000)
        if not r["name"]:
            errors.append(f"line {line}: name is empty")
        elif r["name"].lower() in names:
            errors.append(f"line {line}: candidate {r['name']} appears twice")
        names.add(r["name"].lower())
        aliases = [a.strip() for a in r["aliases"].split("|") if a.strip()]
        rows.append(CandidateRow(name=r["name"], aliases=aliases, ballot_order=order or 0))
    if errors:
        raise ImportError_(errors)
    for old in s.execute(select(CandidateRow)).scalars():
        s.delete(old)
    s.flush()
    s.add_all(rows)
    vlog.record(s, "candidates_imported", actor=actor, names=[r.name for r in rows])
    return len(rows)


Importer = Callable[..., int]
# What each kind of upload holds, and the columns its file needs (as the upload page lists them).
IMPORTERS: dict[str, Importer] = {"roster": import_roster, "candidates": import_candidates,
                                  "counties": import_counties}
COLUMNS: dict[str, tuple[str, ...]] = {"roster": ROSTER_COLUMNS + ("past_turnout (optional)",
                                                                    "language (optional: en or es)"),
                                       "candidates": CANDIDATE_COLUMNS, "counties": COUNTY_COLUMNS}


def load(units: Units, kind: str, text: str, actor: str) -> int:
    """Import a CSV file's `text` as `kind` (see IMPORTERS): every row, or none (ImportError_).

    The roster caches of this process are dropped; other processes see the change within their TTL.
    """
    with units.begin() as uow:
        n = IMPORTERS[kind](uow.session, io.StringIO(text), actor=actor)
    roster.forget_cached(units)
    return n


def roster_size(units: Units) -> int:
    """How many precincts the roster holds (0: nothing imported yet)."""
    with units.reading() as s:
        return int(s.scalar(select(func.count()).select_from(Precinct)) or 0)
