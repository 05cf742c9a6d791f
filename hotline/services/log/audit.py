"""Entries that are nobody's use case but the log's own: a check of the chain, a refused webhook."""
from __future__ import annotations

from hotline.services.log import chain
from hotline.services.units import Units


def verify(units: Units, actor: str) -> chain.ChainBreak | None:
    """Walk the hash chain for `actor` and log that they did; the first broken link, or None."""
    with units.begin() as uow:
        broken = chain.verify(uow.session)
        chain.record(uow.session, "log_verified", actor=actor, ok=broken is None,
                     broken_seq=broken.seq if broken else None)
    return broken


def signature_rejected(units: Units, *, path: str, phone: str | None, remote: str | None,
                       forged: bool) -> None:
    """Log a webhook request refused for a missing (`forged`=False) or wrong Twilio signature."""
    with units.begin() as uow:
        chain.record(uow.session, "signature_rejected", phone=phone, path=path, remote=remote,
                     reason="forged" if forged else "missing")
