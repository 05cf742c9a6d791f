"""Entries that are nobody's use case but the log's own: a check of the chain, a refused webhook."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from redis import Redis

from hotline.domain.checkpoint import Checkpoint
from hotline.services.log import chain, checkpoints
from hotline.services.units import Units


def verify(units: Units, actor: str, redis: Redis | None = None, checkpoint: Checkpoint | None = None,
           public_keys: Sequence[str] = ()) -> checkpoints.Examination:
    """Walk the hash chain for `actor` and log that they did: the first broken link (`.broken`),
    and whether the log still extends `checkpoint` (already authenticated) or, without one, the
    latest signed checkpoint stored (`.comparison`; None when there is none yet)."""
    unreadable: tuple[str, ...] = ()
    if checkpoint is None:
        checkpoint, unreadable = checkpoints.latest(units, redis, public_keys)
    found = replace(checkpoints.examine(units, checkpoint, public_keys), unreadable=unreadable)
    with units.begin() as uow:
        chain.record(uow.session, "log_verified", actor=actor, ok=found.ok,
                     broken_seq=found.broken.seq if found.broken else None,
                     checkpoint_size=checkpoint.log_size if checkpoint else None,
                     extends_checkpoint=found.comparison.ok if found.comparison else None)
    return found

