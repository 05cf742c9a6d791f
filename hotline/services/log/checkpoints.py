"""Signed checkpoints of the verification log: taking one, serving one, checking the log against one.

The hash chain alone cannot show a rewrite by someone who can write the database: they can drop
the newest rows and reset the head, or edit an old row and recompute every later hash. A
checkpoint signed with a key kept outside the database (`adapters/log_keys.py`) and copied
elsewhere (files, Redis, `GET /api/log/checkpoint`, whoever downloads it) pins the log's size,
its newest hash and the RFC 9162 Merkle root of its hashes at that moment: a log that no longer
extends it was rolled back, truncated or rewritten. See docs/runbook.md, "Signed checkpoints".
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.adapters import checkpoint_store, log_keys
from hotline.adapters.checkpoint_store import CheckpointFiles
from hotline.adapters.log_keys import MissingKey, PublicKey
from hotline.adapters.models import LogEntry
from hotline.config import Config
from hotline.domain import checkpoint as cp_doc
from hotline.domain.checkpoint import Checkpoint, Comparison, MalformedCheckpoint, MerkleFrontier
from hotline.services.log import chain
from hotline.services.records import backlog
from hotline.services.units import Units

logger = logging.getLogger(__name__)

BATCH = 5000  # (seq, hash) rows read at a time while the Merkle root is computed
# The periodic duty keeps the Merkle tree's frontier over the entries it last signed, and next
# time reads only the entries after them (one more query checks that the last signed entry is
# still there with its hash). Every FULL_EVERY-th run reads the whole log again, so an edit in
# place below the last checkpoint is still found by the duty within minutes, not only by
# `hotline log verify`. The signed roots never depend on the cache: it holds what was signed.
FULL_EVERY = 10


@dataclass
class _Frontier:
    size: int
    head_hash: str
    tree: MerkleFrontier


_frontier: _Frontier | None = None
_frontier_lock = threading.Lock()
_runs = 0

__all__ = ["MissingKey", "MalformedCheckpoint", "NotAuthentic", "RewriteDetected", "Taken", "Examination",
           "take", "take_if_grown", "authenticate", "examine", "latest", "published", "public_key"]


class NotAuthentic(Exception):
    """A checkpoint whose signature does not verify with any accepted key."""


class RewriteDetected(Exception):
    """The log no longer extends the last signed checkpoint (or its chain is broken): not signed."""


@dataclass(frozen=True)
class Taken:
    checkpoint: Checkpoint | None  # None: nothing new to sign (`skipped` says why)
    path: Path | None = None
    copy: Path | None = None
    published: bool = False        # the latest in Redis now, for the web
    skipped: str | None = None


@dataclass(frozen=True)
class Examination:
    """The log now: its size, newest hash and Merkle root; the chain's first break; how it stands
    against a checkpoint (None: there was none to compare with); stored checkpoints that failed."""

    log_size: int
    head_hash: str | None
    merkle_root: bytes
    broken: chain.ChainBreak | None
    comparison: Comparison | None
    unreadable: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.broken is None and (self.comparison is None or self.comparison.ok) and not self.unreadable

    def problems(self) -> list[str]:
        """One sentence per finding, for the CLI, the admin page and the alarm."""
        out = [f"Log entry {self.broken.seq} {self.broken.reason}."] if self.broken else []
        if self.comparison is not None and not self.comparison.ok:
            out.append(f"The log does not extend {self.comparison.checkpoint.describe()}: "
                       f"{self.comparison.problem}.")
        return out + list(self.unreadable)


# --- Taking one ---------------------------------------------------------------------------------

def take(units: Units, redis: Redis | None, out: Path | None = None, only_if_grown: bool = False,
         whole_chain: bool = True) -> Taken:
    """Sign the log as it is now, after checking it still extends the last signed checkpoint.

    Writes the checkpoint file (and `latest.json`, and `out` when given) and publishes it in
    Redis. `only_if_grown`: do nothing when the log has the size and head the last one signed.
    `whole_chain`: recompute every entry's hash; otherwise (the periodic duty) only those after
    the last checkpoint, whose entries the signed head hash and Merkle root already pin down.
    Raises MissingKey (no signing key: production never makes one) and RewriteDetected (the log
    was rewritten: nothing is signed, an entry is logged and a backlog item opened).
    """
    cfg = units.config
    key = log_keys.load(cfg)
    keys = {**log_keys.accepted(cfg), key.key_id: key.public}
    files = CheckpointFiles(cfg.checkpoints_path)
    previous = _previous(files, redis, keys)
    with units.reading() as s:
        _snapshot(s)
        if only_if_grown and previous is not None and _unchanged(s, previous):
            _publish(redis, previous)  # in case Redis lost it (restarted, flushed)
            return Taken(None, skipped=f"the log has not grown since {previous.describe()}")
        found = _examine(s, previous, (), from_checkpoint=not whole_chain, resume=not whole_chain and _resume_now())
    if not found.ok and previous is not None:
        found = examine(units, previous, keys=keys)  # again, bounded by every stored checkpoint
    if not found.ok:
        message = "Refused to sign a checkpoint of the verification log. " + " ".join(found.problems())
        _alarm(units, previous, found, message)
        raise RewriteDetected(message)
    if found.log_size == 0 or found.head_hash is None:
        return Taken(None, skipped="the log is empty")
    if only_if_grown and previous is not None and found.log_size == previous.log_size:
        return Taken(None, skipped=f"the log has not grown since {previous.describe()}")
    body = cp_doc.unsigned(found.log_size, found.head_hash, found.merkle_root, datetime.now(timezone.utc),
                           key.key_id)
    signed = cp_doc.signed(body, key.sign(cp_doc.canonical(body)))
    text = signed.to_json()
    path = files.write(signed.file_name(), signed.log_size, text)
    copy = checkpoint_store.write_copy(out, text) if out is not None else None
    done = _publish(redis, signed)
    logger.info("signed a checkpoint of the verification log: %d entries, head %s, key %s",
                signed.log_size, signed.head_hash[:16], signed.key_id)
    return Taken(signed, path, copy, done)


def take_if_grown(units: Units, redis: Redis | None) -> int:
    """The periodic duty: a checkpoint when the log grew since the last; 1 if one was signed.

    No key (production without one) and a rewritten log are logged as errors; the duty then
    does nothing (the rewrite also opened a backlog item and logged an entry, once).
    """
    try:
        taken = take(units, redis, only_if_grown=True, whole_chain=False)
    except MissingKey as exc:
        logger.error("no checkpoint of the verification log was signed: %s", exc)
        return 0
    except RewriteDetected as exc:
        logger.error("%s", exc)
        return 0
    return 1 if taken.checkpoint is not None else 0


def _previous(files: CheckpointFiles, redis: Redis | None, keys: dict[str, PublicKey]) -> Checkpoint | None:
    """The largest authentic checkpoint stored: `latest.json`, Redis, else any file in the folder."""
    found = []
    for where, text in (("latest.json", files.latest()), ("Redis", _published_in(redis))):
        if text is None:
            continue
        try:
            found.append(_authentic(cp_doc.parse(text), keys))
        except (MalformedCheckpoint, NotAuthentic) as exc:
            logger.error("the stored checkpoint in %s is not used: %s", where, exc)
    if not found:
        found = _stored(files, keys)
    return max(found, key=lambda c: c.log_size, default=None)


def _publish(redis: Redis | None, checkpoint: Checkpoint) -> bool:
    """Publish for the web unless Redis holds a larger one; a Redis error is logged (the file is
    written, and the duty publishes again next time)."""
    if redis is None:
        return False
    try:
        return checkpoint_store.publish(redis, checkpoint.log_size, checkpoint.to_json())
    except RedisError as exc:
        logger.warning("checkpoint of %d entries not published in Redis: %s", checkpoint.log_size, exc)
        return False


def _unchanged(s: Session, previous: Checkpoint) -> bool:
    size = s.scalar(select(func.max(LogEntry.seq))) or 0
    return size == previous.log_size and s.scalar(
        select(LogEntry.hash).where(LogEntry.seq == size)) == previous.head_hash


def _alarm(units: Units, previous: Checkpoint | None, found: Examination, message: str) -> None:
    """Log the rewrite and open a backlog item, once per checkpoint it breaks; never raises."""
    if previous is not None:
        key = f"log_rewrite:{previous.log_size}:{previous.head_hash[:16]}"
    else:
        key = f"log_rewrite:chain:{found.broken.seq if found.broken else 0}"
    detail = {"problem": message[:2000], "log_size": found.log_size,
              "checkpoint_size": previous.log_size if previous else None,
              "checkpoint_head": previous.head_hash if previous else None,
              "checkpoint_time": previous.time if previous else None,
              "broken_seq": found.broken.seq if found.broken else None}
    try:
        with units.begin() as uow:
            if uow.session.execute(backlog.OPEN_BY_KEY, {"key": key}).scalars().first() is None:
                chain.record(uow.session, "log_rewrite_detected", actor="system", **detail)
            backlog.open_item(uow.session, "log_rewrite", dedupe_key=key, detail=detail, summary=(
                "The verification log was rewritten, truncated or rolled back: it no longer extends "
                "the last signed checkpoint, so no new checkpoint is signed. Run `hotline log verify` "
                "and see the runbook, \"Signed checkpoints\"."))
    except Exception:  # noqa: BLE001 - the refusal and the error log stand even if the database will not take it
        logger.exception("the rewrite could not be recorded in the log or the backlog")


# --- Checking the log against one ---------------------------------------------------------------

def authenticate(config: Config, checkpoint: Checkpoint, public_keys: Sequence[str] = ()) -> PublicKey:
    """The key that signed `checkpoint`: one of `public_keys` (base64) when given, else ours or a
    previous one. NotAuthentic when no such key signed exactly these fields."""
    return _authentic_key(checkpoint, _keys(config, public_keys))


def examine(units: Units, checkpoint: Checkpoint | None, public_keys: Sequence[str] = (),
            keys: dict[str, PublicKey] | None = None) -> Examination:
    """Walk the chain (`chain.verify`), compute the Merkle root, and compare with `checkpoint`;
    the other authentic checkpoints stored bound where the first difference lies."""
    keys = keys if keys is not None else _keys(units.config, public_keys)
    others = _stored(CheckpointFiles(units.config.checkpoints_path), keys) if checkpoint is not None else []
    with units.reading() as s:
        _snapshot(s)
        return _examine(s, checkpoint, others)


def latest(units: Units, redis: Redis | None, public_keys: Sequence[str] = ()
           ) -> tuple[Checkpoint | None, tuple[str, ...]]:
    """The largest authentic stored checkpoint (`latest.json` or Redis), and why any stored one
    was not: a stored checkpoint that does not verify is itself a finding."""
    keys = _keys(units.config, public_keys)
    files = CheckpointFiles(units.config.checkpoints_path)
    found, problems = [], []
    for where, text in ((str(files.folder / checkpoint_store.LATEST), files.latest()),
                        ("Redis", _published_in(redis))):
        if text is None:
            continue
        try:
            found.append(_authentic(cp_doc.parse(text), keys))
        except (MalformedCheckpoint, NotAuthentic) as exc:
            problems.append(f"The stored checkpoint in {where} does not verify: {exc}.")
    if not found and not problems:
        found = _stored(files, keys)
    return max(found, key=lambda c: c.log_size, default=None), tuple(problems)


def _resume_now() -> bool:
    """Whether this periodic run may start from the kept frontier (not every FULL_EVERY-th run)."""
    global _runs
    with _frontier_lock:
        _runs += 1
        return _runs % FULL_EVERY != 0


def _examine(s: Session, checkpoint: Checkpoint | None, others: Sequence[Checkpoint],
             from_checkpoint: bool = False, resume: bool = False) -> Examination:
    """`from_checkpoint`: when the log matches `checkpoint`, recompute only the hashes after it.
    `resume`: build the Merkle tree from the frontier kept at `checkpoint` (when there is one)."""
    sizes = {c.log_size for c in others} | ({checkpoint.log_size} if checkpoint else set())
    start = _kept(s, checkpoint) if resume and not others else None
    size, head, root, seen = _observe(s, sizes, start)
    comparison = cp_doc.compare(checkpoint, size, seen, others) if checkpoint is not None else None
    if from_checkpoint and checkpoint is not None and comparison is not None and comparison.ok:
        broken = chain.verify(s, after=checkpoint.log_size, after_hash=checkpoint.head_hash)
    else:
        broken = chain.verify(s)
    return Examination(size, head, root, broken, comparison)


def _kept(s: Session, checkpoint: Checkpoint | None) -> _Frontier | None:
    """The kept frontier, when it is the one of `checkpoint` and its last entry is unchanged."""
    with _frontier_lock:
        kept = _frontier
    if kept is None or checkpoint is None or kept.size != checkpoint.log_size or \
            kept.head_hash != checkpoint.head_hash or kept.tree.root().hex() != checkpoint.merkle_root:
        return None
    if s.scalar(select(LogEntry.hash).where(LogEntry.seq == kept.size)) != kept.head_hash:
        return None  # rolled back or rewritten: the full read below says how
    return kept


def _observe(s: Session, sizes: set[int], start: _Frontier | None = None
             ) -> tuple[int, str | None, bytes, dict[int, tuple[str, str]]]:
    """The entries' hashes in log order, into the Merkle tree: (size, newest hash, root, and
    (hash, hex root) at each of `sizes` the log reaches). From `start` (a kept frontier) only
    the entries after it are read. The frontier at the end is kept for the next run."""
    global _frontier
    tree, seen, head, last = MerkleFrontier(), {}, None, 0
    if start is not None:
        tree, head, last = start.tree.copy(), start.head_hash, start.size
        if start.size in sizes:
            seen[start.size] = (start.head_hash, tree.root().hex())
    while True:
        rows = s.execute(select(LogEntry.seq, LogEntry.hash).where(LogEntry.seq > last)
                         .order_by(LogEntry.seq).limit(BATCH)).all()
        if not rows:
            break
        for _seq, digest in rows:
            tree.add(cp_doc.entry_leaf(digest))
            if tree.size in sizes:
                seen[tree.size] = (digest, tree.root().hex())
        head, last = rows[-1][1], rows[-1][0]
    if head is not None:
        with _frontier_lock:
            _frontier = _Frontier(tree.size, head, tree.copy())
    return tree.size, head, tree.root(), seen


def forget_kept() -> None:
    """Drop the kept frontier (tests start each on a fresh log)."""
    global _frontier, _runs
    with _frontier_lock:
        _frontier, _runs = None, 0


def _snapshot(s: Session) -> None:
    """Every read in `s` sees one moment: SQLite's read transactions do; PostgreSQL's need asking."""
    if s.get_bind().dialect.name == "postgresql":
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})


# --- Serving one --------------------------------------------------------------------------------

def published(units: Units, redis: Redis | None) -> str | None:
    """The latest checkpoint's JSON as published (Redis, else this host's `latest.json`)."""
    return _published_in(redis) or CheckpointFiles(units.config.checkpoints_path).latest()


def public_key(units: Units) -> dict[str, object] | None:
    """What a verifier needs: the signing key's id and public key, and the earlier ones still
    accepted. None when there is no key (production without one configured)."""
    cfg = units.config
    try:
        key = log_keys.load(cfg)
    except MissingKey as exc:
        logger.error("no public key to serve: %s", exc)
        return None
    pub = key.public
    return {"algorithm": log_keys.ALGORITHM, "key_id": pub.key_id, "public_key": pub.b64, "pem": pub.pem,
            "previous": [{"key_id": k.key_id, "public_key": k.b64} for k in log_keys.previous_keys(cfg)]}


# --- Helpers ------------------------------------------------------------------------------------

def _keys(config: Config, public_keys: Sequence[str]) -> dict[str, PublicKey]:
    """Given keys only (a verifier who brings their own trusts nothing on this host), else ours."""
    if public_keys:
        given = [log_keys.public_from_b64(k, "--public-key") for k in public_keys]
        return {k.key_id: k for k in given}
    return log_keys.accepted(config)


def _authentic_key(checkpoint: Checkpoint, keys: dict[str, PublicKey]) -> PublicKey:
    key = keys.get(checkpoint.key_id)
    if key is None:
        accepted = ", ".join(sorted(keys)) or "none"
        raise NotAuthentic(f"it names key {checkpoint.key_id}, which is not an accepted key (accepted: {accepted})")
    if not key.verifies(checkpoint.signature_bytes(), checkpoint.signed_bytes()):
        raise NotAuthentic(f"its signature does not match its contents: it was altered after it was signed, "
                           f"or key {checkpoint.key_id} never signed it")
    return key


def _authentic(checkpoint: Checkpoint, keys: dict[str, PublicKey]) -> Checkpoint:
    _authentic_key(checkpoint, keys)
    return checkpoint


def _stored(files: CheckpointFiles, keys: dict[str, PublicKey]) -> list[Checkpoint]:
    """Every authentic checkpoint file in the folder (the others are logged and left out)."""
    out = []
    for path, text in files.texts():
        try:
            out.append(_authentic(cp_doc.parse(text), keys))
        except (MalformedCheckpoint, NotAuthentic) as exc:
            logger.warning("checkpoint file %s left out: %s", path, exc)
    return out


def _published_in(redis: Redis | None) -> str | None:
    if redis is None:
        return None
    try:
        return checkpoint_store.published(redis)
    except RedisError as exc:
        logger.warning("the published checkpoint could not be read from Redis: %s", exc)
        return None
