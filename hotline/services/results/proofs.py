"""Proofs that the log entries behind a precinct's published figures are in a signed checkpoint.

For each entry behind the record (results/precinct.py) the proof gives the entry in its public
form (phone and staff name hidden behind a salted commitment; see domain/log_entry.py), its hash,
and its RFC 9162 inclusion path up to the Merkle root of the latest signed checkpoint. Nothing
else of the log is revealed: a path is a handful of subtree hashes.

The tree over a checkpoint's entries is built once per checkpoint and process (every entry's
hash read once, in one query) and kept until the next checkpoint.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from redis import Redis
from sqlalchemy import select

from hotline.adapters.models import LogEntry
from hotline.domain import checkpoint as cp
from hotline.domain.log_entry import commitment, public_form
from hotline.services.log import checkpoints
from hotline.services.results import precinct as records
from hotline.services.units import Units

logger = logging.getLogger(__name__)


class NothingToProve(LookupError):
    """The precinct has no published figures (so no entries behind them)."""


class NoCheckpoint(LookupError):
    """No checkpoint has been signed yet (or none is published)."""


@dataclass
class NotYetCovered(Exception):
    """An entry behind the record is newer than the latest signed checkpoint."""

    newest: int
    log_size: int


class CheckpointMismatch(RuntimeError):
    """The log this server holds does not give the signed checkpoint's root: it was rewritten."""


@dataclass(frozen=True)
class _Tree:
    checkpoint: str
    levels: cp.MerkleLevels


_tree: _Tree | None = None
_tree_lock = threading.Lock()
_proofs: dict[str, tuple[records.Record, str, bytes]] = {}
_proofs_lock = threading.Lock()


def proof(units: Units, redis: Redis, code: str) -> bytes:
    """The proof for one precinct as JSON (see the module's docstring). Raises UnknownPrecinct,
    NothingToProve, NoCheckpoint, NotYetCovered or CheckpointMismatch."""
    record = records.record(units, redis, code)
    if not record.behind:
        raise NothingToProve(record.data["precinct"])
    text = checkpoints.published(units, redis)
    if text is None:
        raise NoCheckpoint()
    with _proofs_lock:
        hit = _proofs.get(record.data["precinct"])
    if hit is not None and hit[0] is record and hit[1] == text:
        return hit[2]
    signed = cp.parse(text)
    newest = max(b.seq for b in record.behind)
    if newest > signed.log_size:
        raise NotYetCovered(newest, signed.log_size)
    levels = _levels(units, text, signed)
    body = json.dumps(_document(units, record, signed, levels), separators=(",", ":")).encode()
    with _proofs_lock:
        if len(_proofs) > 4096:
            _proofs.clear()
        _proofs[record.data["precinct"]] = (record, text, body)
    return body


def _levels(units: Units, text: str, signed: cp.Checkpoint) -> cp.MerkleLevels:
    global _tree
    with _tree_lock:  # one build per checkpoint, however many readers ask at once
        if _tree is not None and _tree.checkpoint == text:
            return _tree.levels
        with units.reading() as s:
            hashes = s.execute(select(LogEntry.hash).where(LogEntry.seq <= signed.log_size)
                               .order_by(LogEntry.seq)).scalars().all()
        levels = cp.MerkleLevels(cp.entry_leaf(h) for h in hashes)
        if levels.size != signed.log_size or levels.root().hex() != signed.merkle_root:
            logger.error("the log does not give the root of %s: proofs refused", signed.describe())
            raise CheckpointMismatch(signed.describe())
        _tree = _Tree(text, levels)
        return levels


def _document(units: Units, record: records.Record, signed: cp.Checkpoint,
              levels: cp.MerkleLevels) -> dict[str, Any]:
    roles: dict[int, list[str]] = {}
    for b in record.behind:
        roles.setdefault(b.seq, []).append(b.role)
    entries = []
    with units.reading() as s:  # the rows are read inside the snapshot they came from
        rows = {e.seq: e for e in s.execute(select(LogEntry).where(LogEntry.seq.in_(list(roles)))).scalars()}
        for seq in sorted(roles):
            e = rows[seq]
            form = None
            if e.salt is not None:
                form = public_form(e.seq, e.at, e.kind, e.precinct_code, commitment(e.salt, e.phone, e.actor),
                                   e.detail, e.prev_hash)
            entries.append({"seq": seq, "roles": roles[seq], "hash": e.hash, "entry": form,
                            "leaf_index": seq - 1, "path": [h.hex() for h in levels.inclusion_proof(seq - 1)]})
    return {"precinct": record.data["precinct"], "sequence": record.data["sequence"],
            "checkpoint": json.loads(signed.to_json()), "public_key": "/api/log/public-key",
            "entries": entries}


def forget_cached() -> None:
    """Drop the tree and proofs this process keeps (tests start each on a fresh database)."""
    global _tree
    with _tree_lock:
        _tree = None
    with _proofs_lock:
        _proofs.clear()
