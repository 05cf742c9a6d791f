"""Looking up precincts, chairs and candidates."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CandidateRow, Chair, ChairPhone, Precinct
from hotline.domain.model import Candidate
from hotline.services.units import Units

ROSTER_TTL = 30.0  # seconds a process trusts its cached candidate list and precinct codes


# Built once: every text runs it, and building a statement costs more than running it.
PRECINCTS_FOR_PHONE = (select(Precinct).join(Chair, Chair.precinct_id == Precinct.id)
                       .join(ChairPhone, ChairPhone.chair_id == Chair.id)
                       .where(ChairPhone.phone == bindparam("phone")).order_by(Precinct.code))


def precincts_for_phone(s: Session, phone: str) -> list[Precinct]:
    """Precincts whose chair registered this phone (usually one)."""
    return list(s.execute(PRECINCTS_FOR_PHONE, {"phone": phone}).unique().scalars())


def language_of(precincts: list[Precinct]) -> str:
    """The roster language of the chair of these precincts (a phone's; English when none)."""
    for precinct in precincts:
        if precinct.chair is not None and precinct.chair.language:
            return precinct.chair.language
    return "en"


def precinct_by_code(s: Session, code: str) -> Precinct | None:
    return s.execute(select(Precinct).where(Precinct.code == code.upper())).scalar_one_or_none()


def registered_phones(s: Session, precinct: Precinct) -> list[str]:
    if precinct.chair is None:
        return []
    return [p.phone for p in sorted(precinct.chair.phones, key=lambda p: p.id)]


def load_candidates(s: Session) -> list[Candidate]:
    rows = s.execute(select(CandidateRow).order_by(CandidateRow.ballot_order)).scalars()
    return [Candidate(name=r.name, aliases=tuple(r.aliases or ()), ballot_order=r.ballot_order)
            for r in rows]


# Per-process caches built from the roster; other processes see an import within ROSTER_TTL.
ROSTER_CACHES = ("candidates", "precinct_codes", "precinct_keypad", "registered_phones")


def forget_cached(units: Units) -> None:
    """Drop this process's roster caches (after an import)."""
    for key in ROSTER_CACHES:
        units.forget(key)


def candidates(units: Units) -> list[Candidate]:
    """The configured candidates in ballot order (cached briefly per process)."""
    def load() -> list[Candidate]:
        with units.reading() as session:
            return load_candidates(session)
    return units.cached("candidates", ROSTER_TTL, load)


def known_codes(units: Units) -> frozenset[str]:
    """Every precinct code on the roster (cached briefly per process)."""
    def load() -> frozenset[str]:
        with units.reading() as session:
            return frozenset(session.execute(select(Precinct.code)).scalars())
    return units.cached("precinct_codes", ROSTER_TTL, load)
