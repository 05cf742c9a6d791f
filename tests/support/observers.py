"""Observers for tests: added straight to the database (the import has tests of its own)."""
from __future__ import annotations

from sqlalchemy import select

from hotline.adapters.models import Observer, ObserverPhone, ObserverPrecinct, Precinct
from hotline.runtime import Runtime
from hotline.services.records import roster as roster_service


def add_observer(rt: Runtime, phone: str, *codes: str, name: str = "Ana Ruiz",
                 organisation: str = "Warren campaign", language: str = "en") -> int:
    """An observer with one phone, assigned to `codes`; its id."""
    with rt.db.transaction() as uow:
        s = uow.session
        obs = Observer(name=name, organisation=organisation, language=language, created_by="test")
        obs.phones = [ObserverPhone(phone=phone)]
        obs.assignments = [ObserverPrecinct(precinct_id=s.execute(select(Precinct.id).where(Precinct.code == c))
                                            .scalar_one()) for c in codes]
        s.add(obs)
        s.flush()
        observer_id = obs.id
    roster_service.forget_cached(rt.units)
    return observer_id
