"""Getting observers in: the observers CSV, adding and removing one, and the list.

Observers (a campaign's precinct captains, a neutral group's observers) text their counts as chairs
do; what they send is compared with the chair's and never counts (services/records/observations.py).
An observer is known by (name, organisation): importing a file creates the observers it names and
replaces the phones, precincts, PIN and language of those already there, so importing the same file
again changes nothing. Observers the file does not name are left alone (remove them one by one:
their observations must stay linked to them). Every row valid, or nothing written, as the roster.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hotline.adapters.models import (
    Chair,
    ChairPhone,
    Observation,
    Observer,
    ObserverPhone,
    ObserverPrecinct,
    Precinct,
)
from hotline.domain.verification import hash_pin
from hotline.services.log import chain
from hotline.services.ops.importing import ImportError_, check_pin, parse_language, parse_phones, read_rows
from hotline.services.records import observations, roster
from hotline.services.units import Units

COLUMNS = ("name", "organisation", "phones", "precincts")
# As the upload forms list them.
ALL_COLUMNS = COLUMNS + ("pin (optional: 4 to 8 digits)", "language (optional: en or es)")
_LINE = re.compile(r"^line \d+: ")
_LINE_NO = re.compile(r"^line (\d+): ")


class ObserverError(Exception):
    """A change to one observer that cannot be made, in a sentence for the person who asked."""


@dataclass(frozen=True)
class ObserverRow:
    line: int
    name: str
    organisation: str
    phones: tuple[str, ...]
    precincts: tuple[str, ...]
    pin: str  # "" for none
    language: str

    @property
    def key(self) -> tuple[str, str]:
        return _key(self.name, self.organisation)


@dataclass(frozen=True)
class ObserverView:
    """One observer as the list shows it."""

    id: int
    name: str
    organisation: str
    phones: tuple[str, ...]
    precincts: tuple[str, ...]
    language: str
    has_pin: bool
    confirmed: int  # confirmed observations
    observations: int  # every observation, any status (an observer with any cannot be removed)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "organisation": self.organisation, "phones": list(self.phones),
                "precincts": list(self.precincts), "language": self.language, "pin": self.has_pin,
                "confirmed_observations": self.confirmed}


def _key(name: str, organisation: str) -> tuple[str, str]:
    # Case and inner spaces are not what tells two observers apart.
    return (" ".join(name.split()).casefold(), " ".join(organisation.split()).casefold())


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]


def parse(fh: IO[str]) -> tuple[list[ObserverRow], list[str]]:
    """Check an observers CSV on its own (columns, phones, PIN, language, repeats): the good rows and
    a `line N: problem` for each problem. What depends on the database is checked by `check`."""
    data = read_rows(fh, COLUMNS)
    errors, out = data.errors, []
    keys: dict[tuple[str, str], int] = {}
    phone_lines: dict[str, int] = {}
    for line, r in data.rows:
        before = len(errors)
        for col in ("name", "organisation"):
            if not r[col]:
                errors.append(f"line {line}: {col} is empty")
        phones = parse_phones(r["phones"], line, errors)
        for phone in phones:
            if phone in phone_lines:
                errors.append(f"line {line}: {phone} is also on line {phone_lines[phone]}: "
                              "each observer needs their own phone")
            phone_lines.setdefault(phone, line)
        codes = tuple(dict.fromkeys(code.upper() for code in _split(r["precincts"])))
        if not codes:
            errors.append(f"line {line}: precincts is empty (precinct codes separated by ';')")
        pin = r.get("pin", "")
        if pin:
            check_pin(pin, line, errors)
        language = parse_language(r.get("language", ""), line, errors)
        key = _key(r["name"], r["organisation"])
        if r["name"] and r["organisation"]:
            if key in keys:
                errors.append(f"line {line}: {r['name']} ({r['organisation']}) is also on line {keys[key]}")
            keys.setdefault(key, line)
        if len(errors) == before:
            out.append(ObserverRow(line, " ".join(r["name"].split()), " ".join(r["organisation"].split()),
                                   phones, codes, pin, language))
    return out, errors


def _chair_phones(s: Session, phones: Iterable[str]) -> dict[str, str]:
    """Those of `phones` that a chair registered -> the chair's precinct code."""
    wanted = list(phones)
    if not wanted:
        return {}
    rows = s.execute(select(ChairPhone.phone, Precinct.code).join(Chair, Chair.id == ChairPhone.chair_id)
                     .join(Precinct, Precinct.id == Chair.precinct_id).where(ChairPhone.phone.in_(wanted))
                     .order_by(Precinct.code))
    found: dict[str, str] = {}
    for phone, code in rows:
        found.setdefault(phone, code)
    return found


def check(s: Session, rows: list[ObserverRow], existing: Mapping[tuple[str, str], Observer],
          errors: list[str]) -> dict[str, Precinct]:
    """Check `rows` against the roster and the observers not in them: precincts that exist, phones no
    chair and no other observer has. Problems join `errors` in line order (ImportError_ when there
    are any); the precincts by code."""
    codes = {code for row in rows for code in row.precincts}
    precincts = {p.code: p for p in s.execute(select(Precinct).where(Precinct.code.in_(codes))).scalars()}
    chairs = _chair_phones(s, (phone for row in rows for phone in row.phones))
    ours = {row.key for row in rows}
    # Phones of observers these rows do not name: they keep them, so nobody else may take them.
    others = {p.phone: o for o in existing.values() if _key(o.name, o.organisation) not in ours for p in o.phones}
    for row in rows:
        for code in row.precincts:
            if code not in precincts:
                errors.append(f"line {row.line}: precinct {code} is not on the roster")
        for phone in row.phones:
            if phone in chairs:
                errors.append(f"line {row.line}: {phone} is the registered phone of the chair of {chairs[phone]}: "
                              "an observer needs their own phone")
            elif phone in others:
                o = others[phone]
                errors.append(f"line {row.line}: {phone} is the phone of the observer {o.name} ({o.organisation}): "
                              "each observer needs their own phone")
    if errors:
        raise ImportError_(sorted(errors, key=_line_of))  # stable: a row's problems stay in order
    return precincts


def _line_of(error: str) -> int:
    found = _LINE_NO.match(error)
    return int(found.group(1)) if found else 0


def _observers(s: Session) -> dict[tuple[str, str], Observer]:
    return {_key(o.name, o.organisation): o for o in s.execute(select(Observer).order_by(Observer.id)).scalars()}


def _write(s: Session, rows: list[ObserverRow], existing: dict[tuple[str, str], Observer],
           precincts: Mapping[str, Precinct], actor: str) -> tuple[int, int]:
    """Create or update the observers of `rows`; (created, updated)."""
    targets = [(row, existing.get(row.key)) for row in rows]
    # First drop the phones that leave an observer and flush, so a phone moving from one observer
    # to another in the same file is never held by both (phone is a unique column).
    for row, observer in targets:
        if observer is not None:
            observer.phones = [p for p in observer.phones if p.phone in row.phones]
    s.flush()
    created = 0
    for row, observer in targets:
        if observer is None:
            observer = Observer(created_by=actor)
            s.add(observer)
            created += 1
        observer.name, observer.organisation, observer.language = row.name, row.organisation, row.language
        observer.pin_hash = hash_pin(row.pin) if row.pin else None
        kept = {p.phone: p for p in observer.phones}
        observer.phones = [kept.get(phone) or ObserverPhone(phone=phone) for phone in row.phones]
        held = {a.precinct_id: a for a in observer.assignments}
        observer.assignments = [held.get(precincts[code].id) or ObserverPrecinct(precinct=precincts[code])
                                for code in row.precincts]
    s.flush()
    return created, len(rows) - created


def import_observers(s: Session, fh: IO[str], actor: str = "cli") -> int:
    """Create or update observers from an observers CSV inside the caller's transaction; the row count."""
    rows, errors = parse(fh)
    existing = _observers(s)
    precincts = check(s, rows, existing, errors)
    created, updated = _write(s, rows, existing, precincts, actor)
    chain.record(s, "observers_imported", actor=actor, count=len(rows), created=created, updated=updated)
    return len(rows)


def load(units: Units, text: str, actor: str) -> int:
    """Import an observers CSV's `text`: every row, or none (ImportError_)."""
    with units.begin() as uow:
        n = import_observers(uow.session, io.StringIO(text), actor=actor)
    roster.forget_cached(units)  # the phones admitted as registered
    return n


def add(units: Units, name: str, organisation: str, phones: str, precincts: str, pin: str = "",
        language: str = "", actor: str = "cli") -> ObserverView:
    """Add one observer (the console's form): the import's checks and words, without line numbers."""
    try:
        with units.begin() as uow:
            s = uow.session
            rows, errors = _one_row(name, organisation, phones, precincts, pin, language)
            existing = _observers(s)
            if rows and rows[0].key in existing:
                raise ObserverError(f"{rows[0].name} ({rows[0].organisation}) is already an observer: "
                                    "remove them first to add them again.")
            found = check(s, rows, existing, errors)
            row = rows[0]
            _write(s, [row], existing, found, actor)
            observer = _observers(s)[row.key]
            chain.record(s, "observer_added", actor=actor, observer_id=observer.id, name=row.name,
                         organisation=row.organisation, precincts=list(row.precincts), phones=len(row.phones))
            view = _views(s, [observer])[0]
    except ImportError_ as exc:
        # The same sentences as the import's, less "line 2: " (there is no file to look at).
        raise ObserverError("; ".join(_LINE.sub("", e) for e in exc.errors) + ".") from exc
    roster.forget_cached(units)
    return view


def _one_row(name: str, organisation: str, phones: str, precincts: str, pin: str,
             language: str) -> tuple[list[ObserverRow], list[str]]:
    # Through the CSV reader, so one observer is checked exactly as a row of the file is.
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS + ("pin", "language"))
    writer.writerow([name, organisation, phones, precincts, pin, language])
    buf.seek(0)
    return parse(buf)


def remove(units: Units, observer_id: int, actor: str) -> str:
    """Remove an observer who has no observations (theirs stay linked to them); their name."""
    with units.begin() as uow:
        s = uow.session
        observer = s.get(Observer, observer_id)
        if observer is None:
            raise ObserverError("There is no such observer (already removed?).")
        n = s.scalar(select(func.count()).select_from(Observation).where(Observation.observer_id == observer_id)) or 0
        if n:
            raise ObserverError(f"{observer.name} ({observer.organisation}) has sent {n} observation"
                                f"{'' if n == 1 else 's'}, so they stay on the list: what they sent must keep "
                                "saying who sent it.")
        label = f"{observer.name} ({observer.organisation})"
        chain.record(s, "observer_removed", actor=actor, observer_id=observer.id, name=observer.name,
                     organisation=observer.organisation)
        s.delete(observer)
    roster.forget_cached(units)
    return label


def _views(s: Session, rows: list[Observer]) -> list[ObserverView]:
    ids = [o.id for o in rows]
    confirmed: dict[int, int] = {}
    total: dict[int, int] = {}
    if ids:
        for observer_id, status, n in s.execute(
                select(Observation.observer_id, Observation.status, func.count())
                .where(Observation.observer_id.in_(ids)).group_by(Observation.observer_id, Observation.status)):
            total[observer_id] = total.get(observer_id, 0) + n
            if status == observations.CONFIRMED:
                confirmed[observer_id] = n
    return [ObserverView(o.id, o.name, o.organisation, tuple(p.phone for p in o.phones),
                         tuple(a.precinct.code for a in o.assignments), o.language, o.pin_hash is not None,
                         confirmed.get(o.id, 0), total.get(o.id, 0))
            for o in rows]


def everyone(units: Units) -> list[ObserverView]:
    """Every observer, by organisation then name."""
    with units.reading() as s:
        rows = list(s.execute(select(Observer).options(selectinload(Observer.phones), selectinload(Observer.assignments))
                              .order_by(Observer.organisation, Observer.name, Observer.id)).scalars())
        return _views(s, rows)
