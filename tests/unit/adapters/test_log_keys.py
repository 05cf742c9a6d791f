"""The checkpoints' signing key: where it comes from, made on first need outside production only."""
from __future__ import annotations

import base64
import hashlib
import stat

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from hotline.adapters import log_keys
from hotline.cli import cli
from hotline.config import Config


def test_outside_production_a_missing_key_file_is_made_private_and_then_reused(tmp_path):
    cfg = Config(env="development", instance_path=tmp_path)
    key = log_keys.load(cfg)
    assert key.created and key.source == str(tmp_path / "log-signing-key.pem")
    assert stat.S_IMODE((tmp_path / "log-signing-key.pem").stat().st_mode) == 0o600
    again = log_keys.load(cfg)
    assert not again.created and again.key_id == key.key_id
    assert key.key_id == hashlib.sha256(key.public.raw).hexdigest()[:16] and len(key.public.raw) == 32


def test_production_never_makes_a_key_and_says_how_to_set_one(tmp_path):
    cfg = Config(env="production", instance_path=tmp_path)
    with pytest.raises(log_keys.MissingKey, match="HOTLINE_LOG_SIGNING_KEY.*hotline log keygen"):
        log_keys.load(cfg)
    assert not (tmp_path / "log-signing-key.pem").exists()
    assert log_keys.find(cfg) is None


def test_the_pem_in_the_environment_wins_and_may_be_squeezed_onto_one_line(tmp_path):
    made = log_keys.generate_file(tmp_path / "k.pem")
    pem = (tmp_path / "k.pem").read_text()
    cfg = Config.from_env({"HOTLINE_ENV": "production", "HOTLINE_INSTANCE_PATH": str(tmp_path / "inst"),
                           "HOTLINE_LOG_SIGNING_KEY": pem.replace("\n", "\\n")})
    key = log_keys.load(cfg)
    assert key.key_id == made.key_id and key.source == "HOTLINE_LOG_SIGNING_KEY"
    wrong = Config(instance_path=tmp_path, log_signing_key="not a key")
    with pytest.raises(log_keys.MissingKey, match="not an unencrypted PEM private key"):
        log_keys.load(wrong)


def test_previous_public_keys_are_accepted_alongside_the_current_one(tmp_path):
    old = log_keys.generate_file(tmp_path / "old.pem")
    cfg = Config(instance_path=tmp_path, log_previous_public_keys=(old.public.b64,))
    accepted = log_keys.accepted(cfg)
    assert old.key_id in accepted and len(accepted) == 1  # no current key on disk yet: none made
    current = log_keys.load(cfg)
    assert set(log_keys.accepted(cfg)) == {old.key_id, current.key_id}
    signature = current.sign(b"data")
    assert current.public.verifies(signature, b"data") and not current.public.verifies(signature, b"other")
    assert not old.public.verifies(signature, b"data")
    pem = log_keys.public_from_b64(current.public.pem)
    assert pem == current.public
    with pytest.raises(log_keys.MissingKey, match="32-byte"):
        log_keys.public_from_b64(base64.b64encode(b"short").decode())


def test_keygen_refuses_to_overwrite_and_public_key_prints_id_base64_and_pem(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HOTLINE_ENV", "development")
    for name in ("HOTLINE_LOG_SIGNING_KEY", "HOTLINE_LOG_SIGNING_KEY_FILE", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "new.pem"
    made = CliRunner().invoke(cli, ["log", "keygen", "--out", str(out)])
    assert made.exit_code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600
    key = serialization.load_pem_private_key(out.read_bytes(), None)
    before = out.read_bytes()
    again = CliRunner().invoke(cli, ["log", "keygen", "--out", str(out)])
    assert again.exit_code == 1 and "already exists; not overwriting it" in again.output
    assert out.read_bytes() == before
    monkeypatch.setenv("HOTLINE_LOG_SIGNING_KEY_FILE", str(out))
    shown = CliRunner().invoke(cli, ["log", "public-key"])
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert shown.exit_code == 0
    assert f"Key id {log_keys.key_id(raw)}" in shown.output and base64.b64encode(raw).decode() in shown.output
    assert "-----BEGIN PUBLIC KEY-----" in shown.output and "PRIVATE" not in shown.output
    for name, value in (("HOTLINE_ENV", "production"), ("PUBLIC_BASE_URL", "https://hotline.test"),
                        ("TWILIO_AUTH_TOKEN", "token"), ("SECRET_KEY", "a-long-random-secret-key"),
                        ("HOTLINE_LOG_SIGNING_KEY_FILE", str(tmp_path / "absent.pem"))):
        monkeypatch.setenv(name, value)
    missing = CliRunner().invoke(cli, ["log", "public-key"])
    assert missing.exit_code == 1 and "HOTLINE_LOG_SIGNING_KEY" in missing.output
