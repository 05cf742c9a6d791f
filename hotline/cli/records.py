"""`hotline outbox`, `explain` and `log`: reading and acting on what the hotline recorded."""
from __future__ import annotations

import json
from pathlib import Path

import click
from redis import Redis

from hotline.adapters import log_keys
from hotline.adapters.queues import connect
from hotline.cli.context import config as load_config
from hotline.cli.context import units
from hotline.config import Config
from hotline.domain import checkpoint as cp_doc
from hotline.domain.checkpoint import Checkpoint
from hotline.services.console import history, review
from hotline.services.console.views import UnknownPrecinct
from hotline.services.log import audit, checkpoints


@click.command("outbox")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--limit", default=20, show_default=True)
@click.option("--to", "to_number", default=None, help="Only messages to this number.")
def outbox(as_json: bool, limit: int, to_number: str | None) -> None:
    """Outbound texts, newest first (where they go when no Twilio account is configured)."""
    with units() as u:
        rows = history.outbox(u, limit, to_number)
    items = [{"id": m.id, "to": m.to_number, "body": m.body, "status": m.status, "kind": m.kind,
              "created_at": m.created_at.isoformat(), "twilio_sid": m.twilio_sid} for m in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for m in items:
        click.echo(f"--- {m['created_at'][:19]}  to {m['to']}  [{m['kind']}, {m['status']}]\n{m['body']}")


@click.command("explain")
@click.argument("precinct")
@click.option("--by", "staff", required=True, help="Who explains (staff name).")
@click.option("--note", required=True, help="Why the flagged report is right, e.g. 'coin toss'.")
def explain(precinct: str, staff: str, note: str) -> None:
    """Explain a flagged report so it is published; the chair is told by SMS."""
    try:
        with units() as u:
            review.explain(u, precinct, staff, note)
    except UnknownPrecinct as exc:
        raise click.ClickException(f"No precinct {precinct}.") from exc
    except (review.NotFlagged, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{precinct.upper()}: explained by {staff}; it is now published.")


@click.group("log")
def log_group() -> None:
    """The verification log: verify it, sign checkpoints of it, its signing key."""


def _redis(cfg: Config) -> Redis | None:
    """A Redis client when REDIS_URL is set (where checkpoints are published), else None."""
    return connect(cfg.redis_url) if cfg.redis_url else None


@log_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A signed checkpoint (JSON) the log must still extend.")
@click.option("--public-key", "public_keys", multiple=True, metavar="B64",
              help="Accept only this Ed25519 public key (base64 of its 32 bytes) for checkpoints; "
                   "repeatable. Default: this hotline's key and HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS.")
def log_verify(checkpoint_file: Path | None, public_keys: tuple[str, ...]) -> None:
    """Check the hash chain, and that the log still extends a signed checkpoint (--checkpoint,
    else the latest one stored): a rolled-back, truncated or rewritten log fails."""
    cfg = load_config()
    given = None
    try:
        if checkpoint_file is not None:
            given = _read_checkpoint(cfg, checkpoint_file, public_keys)
        redis = _redis(cfg)
        try:
            with units(cfg) as u:
                found = audit.verify(u, "cli", redis, given, public_keys)
        finally:
            if redis is not None:
                redis.close()
    except checkpoints.MissingKey as exc:
        raise click.ClickException(str(exc)) from exc
    if not found.ok:
        raise click.ClickException("\n".join(found.problems()))
    click.echo(f"The verification log is intact: {found.log_size} entries, each linked to the one before it.")
    if found.comparison is not None:
        source = f"the one in {checkpoint_file}" if checkpoint_file else "the latest one stored"
        click.echo(f"It extends {found.comparison.checkpoint.describe()}, {source}.")
    else:
        click.echo("No signed checkpoint is stored yet to check it against "
                   "(`hotline log checkpoint` takes one; workers take one every "
                   f"{cfg.checkpoint_interval_seconds} s while the log grows).")


def _read_checkpoint(cfg: Config, path: Path, public_keys: tuple[str, ...]) -> Checkpoint:
    try:
        cp = cp_doc.parse(path.read_bytes())
    except checkpoints.MalformedCheckpoint as exc:
        raise click.ClickException(f"{path} is not a signed checkpoint: {exc}.") from exc
    try:
        key = checkpoints.authenticate(cfg, cp, public_keys)
    except checkpoints.NotAuthentic as exc:
        raise click.ClickException(f"The checkpoint {path} is NOT authentic: {exc}.") from exc
    click.echo(f"The checkpoint {path} is signed by key {key.key_id}: {cp.log_size} entries at {cp.time}.")
    return cp


@log_group.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the checkpoint to this file.")
def log_checkpoint(out: Path | None) -> None:
    """Sign a checkpoint of the log now (the workers also take one each minute while it grows)."""
    cfg = load_config()
    redis = _redis(cfg)
    try:
        with units(cfg) as u:
            taken = checkpoints.take(u, redis, out)
    except checkpoints.MissingKey as exc:
        raise click.ClickException(str(exc)) from exc
    except checkpoints.RewriteDetected as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if redis is not None:
            redis.close()
    cp = taken.checkpoint
    if cp is None:
        click.echo(f"Nothing to sign: {taken.skipped}.")
        return
    click.echo(f"Signed a checkpoint: {cp.log_size} entries, head {cp.head_hash}, "
               f"Merkle root {cp.merkle_root}, at {cp.time}, key {cp.key_id}.")
    click.echo(f"Written to {taken.path}" + (f" and {taken.copy}" if taken.copy else "") + ".")
    if taken.published:
        click.echo("Published in Redis: GET /api/log/checkpoint serves it.")
    elif redis is None:
        click.echo("Not published: REDIS_URL is not set (the web serves latest.json from this folder "
                   "when it shares it).")


@log_group.command("keygen")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the new key (default: HOTLINE_LOG_SIGNING_KEY_FILE or "
                   "<instance>/log-signing-key.pem). An existing file is never overwritten.")
def log_keygen(out: Path | None) -> None:
    """Make a new Ed25519 key for signing checkpoints (mode 0600)."""
    path = out or load_config().signing_key_path
    try:
        key = log_keys.generate_file(path)
    except FileExistsError as exc:
        raise click.ClickException(f"{path} already exists; not overwriting it (move it aside first "
                                   "to make a new key, and keep the old public key for "
                                   "HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS).") from exc
    pub = key.public
    click.echo(f"Wrote a new signing key to {path} (mode 0600; keep it private and backed up).")
    click.echo(f"Key id {pub.key_id}\nPublic key (base64) {pub.b64}")


@log_group.command("public-key")
def log_public_key() -> None:
    """Print the signing key's id and public key (base64 and PEM), and the previous ones accepted."""
    cfg = load_config()
    try:
        key = log_keys.load(cfg)
        previous = log_keys.previous_keys(cfg)
    except log_keys.MissingKey as exc:
        raise click.ClickException(str(exc)) from exc
    if key.created:
        click.echo(f"(Made a new signing key: {key.source})")
    pub = key.public
    click.echo(f"Key id {pub.key_id} (Ed25519, from {key.source})\nPublic key (base64) {pub.b64}\n{pub.pem}",
               nl=False)
    for old in previous:
        click.echo(f"Previous key still accepted: {old.key_id} {old.b64}")


COMMANDS = (outbox, explain, log_group)
