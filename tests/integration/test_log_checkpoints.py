"""Signed checkpoints make a rewrite of the verification log visible to someone who does not
trust the database: each tamper below passes the hash chain's own check (`chain.verify`), and is
caught against a checkpoint signed before it."""
from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from hotline.adapters import checkpoint_store, log_keys
from hotline.adapters.models import BacklogItem, LogEntry, LogHead
from hotline.cli import cli
from hotline.domain.checkpoint import merkle_root
from hotline.services.log import audit, chain, checkpoints
from workers import duties


def append(rt, n: int, kind: str = "test_entry") -> None:
    with rt.db.transaction() as uow:
        for i in range(n):
            chain.record(uow.session, kind, actor="tester", n=i)


def size(rt) -> int:
    with rt.db.reading() as s:
        return s.scalar(select(LogHead.seq))


def take(rt):
    return checkpoints.take(rt.units, rt.redis).checkpoint


def intact_by_the_chain_alone(rt) -> bool:
    with rt.db.reading() as s:
        return chain.verify(s) is None


def rechain(session, start: int) -> None:
    """Recompute every hash from entry `start` on, and the head: what a careful forger does."""
    entries = session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars().all()
    prev = entries[start - 2].hash if start > 1 else chain.GENESIS
    for e in entries[start - 1:]:
        e.prev_hash = prev
        e.hash = prev = chain.digest(e)
    head = session.get(LogHead, 1)
    head.seq, head.hash = entries[-1].seq, entries[-1].hash


def truncate(rt, keep: int) -> None:
    """Delete the newest entries and point the head at the one kept."""
    with rt.db.transaction() as uow:
        s = uow.session
        s.execute(text("DELETE FROM log_entries WHERE seq > :keep"), {"keep": keep})
        kept = s.execute(select(LogEntry.hash).where(LogEntry.seq == keep)).scalar_one()
        s.execute(text("UPDATE log_head SET seq = :seq, hash = :hash WHERE id = 1"), {"seq": keep, "hash": kept})


def edit(rt, seq: int) -> None:
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(LogEntry.seq == seq)).scalar_one()
        entry.detail = {**entry.detail, "n": 999}
        entry.actor = "mallory"
        uow.session.flush()
        rechain(uow.session, seq)


def insert_forged(rt, at: int) -> None:
    """A `staff_approved` entry slipped in at position `at`, later ones renumbered, all rehashed."""
    with rt.db.transaction() as uow:
        s = uow.session
        top = s.scalar(select(LogHead.seq))
        for seq in range(top, at - 1, -1):  # from the top down: seq is unique
            s.execute(text("UPDATE log_entries SET seq = seq + 1 WHERE seq = :seq"), {"seq": seq})
        model = s.execute(select(LogEntry).where(LogEntry.seq == at + 1)).scalar_one()
        s.add(LogEntry(seq=at, at=model.at, kind="staff_approved", precinct_code="DSM-42", actor="mallory",
                       detail={"submission": 7}, prev_hash="", hash=""))
        s.flush()
        rechain(s, at)


def append_forged(rt) -> None:
    """A `staff_approved` entry added at the end with correct hashes (as `chain.record` would)."""
    with rt.db.transaction() as uow:
        chain.record(uow.session, "staff_approved", precinct="DSM-42", actor="mallory", submission=7)


def problems(rt) -> list[str]:
    return audit.verify(rt.units, "tester", rt.redis).problems()


@pytest.fixture
def cli_env(rt, monkeypatch):
    """`hotline ...` run by CliRunner sees the test's database, Redis and instance folder."""
    for name in ("HOTLINE_LOG_SIGNING_KEY", "HOTLINE_LOG_SIGNING_KEY_FILE", "HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS",
                 "HOTLINE_CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_ENV", "test")
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(rt.config.instance_path))
    monkeypatch.setenv("DATABASE_URL", rt.config.database_url)
    monkeypatch.setenv("REDIS_URL", rt.config.redis_url)

    def run(*args: str):
        return CliRunner().invoke(cli, list(args))
    return run


def test_a_checkpoint_signs_the_size_head_and_merkle_root_and_is_stored_and_published(rt):
    append(rt, 5)
    cp = take(rt)
    with rt.db.reading() as s:
        hashes = list(s.execute(select(LogEntry.hash).order_by(LogEntry.seq)).scalars())
    assert (cp.log_size, cp.head_hash) == (5, hashes[-1])
    assert cp.merkle_root == merkle_root(bytes.fromhex(h) for h in hashes).hex()
    folder = rt.config.checkpoints_path
    assert (folder / "checkpoint-000000000005.json").read_text() == (folder / "latest.json").read_text()
    assert checkpoint_store.published(rt.redis) == cp.to_json()
    assert checkpoints.authenticate(rt.config, cp).key_id == log_keys.load(rt.config).key_id
    assert audit.verify(rt.units, "tester", rt.redis).comparison.ok


def test_a_smaller_checkpoint_never_replaces_the_published_or_latest_one(rt):
    append(rt, 3)
    small = take(rt)
    append(rt, 3)
    big = take(rt)
    checkpoint_store.publish(rt.redis, small.log_size, small.to_json())
    checkpoint_store.CheckpointFiles(rt.config.checkpoints_path).write(small.file_name(), small.log_size,
                                                                      small.to_json())
    assert checkpoint_store.published(rt.redis) == big.to_json()
    assert (rt.config.checkpoints_path / "latest.json").read_text() == big.to_json()


# (a) -------------------------------------------------------------------------------------------

def test_deleting_the_newest_entries_and_resetting_the_head_is_caught(rt):
    append(rt, 10)
    take(rt)  # 10 entries
    append(rt, 10)
    take(rt)  # 20
    truncate(rt, 15)
    assert intact_by_the_chain_alone(rt)  # what `hotline log verify` used to say
    found = problems(rt)
    assert len(found) == 1
    assert "rolled back or truncated: the log has 15 entries, the checkpoint signed 20 at " in found[0]
    assert "the log matches the checkpoint of 10 entries, so the first difference is between entries 11 and 20" \
        in found[0]


# (b) -------------------------------------------------------------------------------------------

def test_an_old_entry_edited_with_every_later_hash_recomputed_is_caught_with_the_range(rt, cli_env):
    for n in (5, 5, 10):
        append(rt, n)
        take(rt)  # at 5, 10 and 20 entries
    edit(rt, 7)
    assert intact_by_the_chain_alone(rt)
    result = cli_env("log", "verify")
    assert result.exit_code == 1, result.output
    assert "The log does not extend the checkpoint of 20 entries" in result.output
    assert "rewritten or forked: entry 20 is not the one the checkpoint signed" in result.output
    assert "the log matches the checkpoint of 5 entries, so the first difference is between entries 6 and 10" \
        in result.output


# (c) -------------------------------------------------------------------------------------------

def test_a_forged_approval_inside_the_signed_log_is_caught(rt):
    append(rt, 8)
    take(rt)
    append(rt, 4)
    take(rt)  # 12 entries
    insert_forged(rt, 10)
    assert intact_by_the_chain_alone(rt)
    found = problems(rt)
    assert found and "rewritten or forked: entry 12" in found[0]
    assert "between entries 9 and 12" in found[0]


def test_a_forged_approval_appended_after_the_checkpoint_extends_it_and_is_not_caught_by_it(rt):
    """The limit: a checkpoint vouches for the entries up to its size. A forged entry appended
    after it is in the log for staff to see, and the next checkpoint signs it (see the runbook)."""
    append(rt, 6)
    take(rt)
    append_forged(rt)
    assert intact_by_the_chain_alone(rt)
    assert problems(rt) == []


# (d) -------------------------------------------------------------------------------------------

def test_a_rollback_of_the_database_to_an_earlier_copy_is_caught_by_verify_with_the_checkpoint(rt, cli_env,
                                                                                                tmp_path):
    if not rt.config.database_url.startswith("sqlite"):
        pytest.skip("copies the SQLite file")
    live = rt.config.database_url.split(":///", 1)[1]
    append(rt, 10)
    copy = tmp_path / "earlier.sqlite3"
    with sqlite3.connect(live) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # a consistent copy, write-ahead log included
    append(rt, 10)
    out = tmp_path / "night.json"
    taken = cli_env("log", "checkpoint", "--out", str(out))
    assert taken.exit_code == 0, taken.output
    assert "Signed a checkpoint: 20 entries, head " in taken.output and "Published in Redis" in taken.output
    assert json.loads(out.read_text())["log_size"] == 20
    rt.db.dispose()
    with sqlite3.connect(copy) as src, sqlite3.connect(live) as dst:
        src.backup(dst)  # the restore
    assert size(rt) == 10 and intact_by_the_chain_alone(rt)
    result = cli_env("log", "verify", "--checkpoint", str(out))
    assert result.exit_code != 0
    assert "is signed by key" in result.output  # the checkpoint itself is authentic
    assert "rolled back or truncated: the log has 10 entries, the checkpoint signed 20 at " in result.output


# (e) -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [("log_size", 5), ("head_hash", "0" * 64), ("merkle_root", "1" * 64),
                                          ("time", "2000-01-01T00:00:00Z")])
def test_a_tampered_checkpoint_file_fails_its_signature(rt, cli_env, tmp_path, field, value):
    append(rt, 6)
    doc = json.loads(take(rt).to_json())
    doc[field] = value
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc))
    result = cli_env("log", "verify", "--checkpoint", str(forged))
    assert result.exit_code == 1
    assert "is NOT authentic: its signature does not match its contents" in result.output


def test_a_checkpoint_by_an_unknown_key_is_refused_unless_that_key_is_given(rt, cli_env, tmp_path):
    append(rt, 4)
    ours = take(rt)
    ours_file = tmp_path / "ours.json"
    ours_file.write_text(ours.to_json())
    other = log_keys.generate_file(tmp_path / "other.pem")
    refused = cli_env("log", "verify", "--checkpoint", str(ours_file), "--public-key", other.public.b64)
    assert refused.exit_code == 1 and f"names key {ours.key_id}, which is not an accepted key" in refused.output
    mine = log_keys.load(rt.config).public.b64
    accepted = cli_env("log", "verify", "--checkpoint", str(ours_file), "--public-key", mine)
    assert accepted.exit_code == 0, accepted.output
    assert "It extends the checkpoint of 4 entries" in accepted.output


def test_a_tampered_stored_checkpoint_is_reported_by_plain_verify(rt, cli_env):
    append(rt, 4)
    take(rt)
    latest = rt.config.checkpoints_path / "latest.json"
    latest.write_text(latest.read_text().replace('"log_size": 4', '"log_size": 3'))
    rt.redis.delete(checkpoint_store.REDIS_KEY)
    result = cli_env("log", "verify")
    assert result.exit_code == 1 and "latest.json does not verify: its signature does not match" in result.output


def test_a_checkpoint_signed_with_a_previous_key_still_verifies_after_rotation(rt, cli_env, tmp_path,
                                                                             monkeypatch):
    append(rt, 4)
    old = take(rt)
    old_file = tmp_path / "old.json"
    old_file.write_text(old.to_json())
    old_public = log_keys.load(rt.config).public.b64
    rt.config.signing_key_path.rename(tmp_path / "retired.pem")
    log_keys.generate_file(rt.config.signing_key_path)
    refused = cli_env("log", "verify", "--checkpoint", str(old_file))
    assert refused.exit_code == 1 and "not an accepted key" in refused.output
    monkeypatch.setenv("HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS", old_public)
    accepted = cli_env("log", "verify", "--checkpoint", str(old_file))
    assert accepted.exit_code == 0, accepted.output


# (f) -------------------------------------------------------------------------------------------

def run_duty(rt) -> int:
    return duties.BY_NAME["log-checkpoint"].run(rt, None)


def test_the_duty_signs_only_when_the_log_grew(rt):
    assert run_duty(rt) == 0  # nothing logged yet
    append(rt, 3)
    assert run_duty(rt) == 1
    assert run_duty(rt) == 0
    append(rt, 1)
    assert run_duty(rt) == 1
    assert sorted(p.name for p in rt.config.checkpoints_path.glob("checkpoint-*.json")) == [
        "checkpoint-000000000003.json", "checkpoint-000000000004.json"]
    rt.redis.delete(checkpoint_store.REDIS_KEY)  # Redis restarted empty: published again, not signed again
    assert run_duty(rt) == 0
    assert checkpoint_store.published(rt.redis) == (rt.config.checkpoints_path / "latest.json").read_text()


def test_the_duty_refuses_to_sign_a_rewritten_log_and_opens_a_backlog_item_once(rt, caplog):
    append(rt, 6)
    assert run_duty(rt) == 1
    edit(rt, 2)
    append(rt, 2)
    with caplog.at_level(logging.ERROR):
        assert run_duty(rt) == 0
        assert run_duty(rt) == 0
    assert "Refused to sign a checkpoint of the verification log" in caplog.text
    assert sorted(p.name for p in rt.config.checkpoints_path.glob("checkpoint-*.json")) == [
        "checkpoint-000000000006.json"]
    with rt.db.reading() as s:
        items = s.execute(select(BacklogItem.resolved_at, BacklogItem.priority, BacklogItem.detail)
                          .where(BacklogItem.kind == "log_rewrite")).all()
        alarms = s.execute(select(LogEntry.detail).where(LogEntry.kind == "log_rewrite_detected")).scalars().all()
    assert len(items) == 1 and items[0].resolved_at is None and items[0].detail["repeats"] == 2
    assert "rewritten or forked: entry 6" in items[0].detail["problem"]
    assert len(alarms) == 1 and alarms[0]["checkpoint_size"] == 6


def test_a_checkpoint_is_refused_by_hand_too(rt, cli_env):
    append(rt, 5)
    take(rt)
    truncate(rt, 3)
    result = cli_env("log", "checkpoint")
    assert result.exit_code == 1
    assert "Refused to sign" in result.output and "rolled back or truncated: the log has 3 entries" in result.output


def test_in_production_without_a_key_the_duty_logs_an_error_and_makes_none(rt, caplog):
    rt.config = replace(rt.config, env="production")
    append(rt, 2)
    with caplog.at_level(logging.ERROR):
        assert run_duty(rt) == 0
    assert "No signing key for the verification log's checkpoints" in caplog.text
    assert not rt.config.signing_key_path.exists() and not Path(rt.config.checkpoints_path).exists()


def alter_without_rehashing(rt, seq: int) -> None:
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(LogEntry.seq == seq)).scalar_one()
        entry.actor = "mallory"


def test_the_duty_rechecks_the_entries_after_the_last_checkpoint(rt, caplog):
    append(rt, 4)
    assert run_duty(rt) == 1
    append(rt, 4)
    alter_without_rehashing(rt, 6)
    with caplog.at_level(logging.ERROR):
        assert run_duty(rt) == 0
    assert "Log entry 6 was altered after it was written" in caplog.text


def test_an_old_entry_altered_without_rehashing_is_left_to_verify_by_the_duty_but_not_by_hand(rt, cli_env):
    """The duty recomputes only the hashes after the last checkpoint: the signed head and Merkle
    root pin the ones before (their hashes, not their text). `hotline log checkpoint` and
    `hotline log verify` recompute them all."""
    append(rt, 4)
    assert run_duty(rt) == 1
    alter_without_rehashing(rt, 2)
    append(rt, 2)
    assert run_duty(rt) == 1  # the new checkpoint signs the same hashes 1..4 as the last one
    assert "Log entry 2 was altered after it was written" in cli_env("log", "verify").output
    refused = cli_env("log", "checkpoint")
    assert refused.exit_code == 1 and "Log entry 2 was altered after it was written" in refused.output


def hashes(rt) -> list[bytes]:
    with rt.db.reading() as s:
        return [bytes.fromhex(h) for h in s.scalars(select(LogEntry.hash).order_by(LogEntry.seq))]


def test_the_duty_resumes_from_the_signed_frontier_and_reads_the_whole_log_every_tenth_run(rt, monkeypatch):
    """Between full reads the duty builds on the tree it signed last (reading only newer entries),
    so a hash changed in place below the last checkpoint is not in what it signs, and the next
    full read refuses to sign and raises the alarm."""
    monkeypatch.setattr(checkpoints, "_runs", 0)
    append(rt, 4)
    assert run_duty(rt) == 1  # run 1: the whole log (nothing kept yet), frontier kept
    original = hashes(rt)
    with rt.db.transaction() as uow:  # entry 2's stored hash replaced: its leaf changes
        uow.session.execute(text("UPDATE log_entries SET hash = :h WHERE seq = 2"), {"h": "e" * 64})
    append(rt, 2)
    assert run_duty(rt) == 1  # run 2: resumed at entry 4, reads 5 and 6 only
    signed = json.loads(checkpoint_store.published(rt.redis))
    assert signed["log_size"] == 6
    assert signed["merkle_root"] == merkle_root(original + hashes(rt)[4:]).hex()  # the hashes as signed
    assert signed["merkle_root"] != merkle_root(hashes(rt)).hex()
    monkeypatch.setattr(checkpoints, "_runs", checkpoints.FULL_EVERY - 1)  # the next run is a full one
    append(rt, 1)
    assert run_duty(rt) == 0  # the whole log read again: rewritten, nothing signed
    with rt.db.reading() as s:
        assert s.scalars(select(BacklogItem).where(BacklogItem.kind == "log_rewrite")).one()


def test_a_resumed_run_still_notices_a_rollback(rt):
    append(rt, 5)
    assert run_duty(rt) == 1
    truncate(rt, 3)
    append(rt, 3)  # as many entries again, other ones
    assert run_duty(rt) == 0
