from __future__ import annotations

import pytest

from hotline.config import Config, ConfigError


def test_local_defaults_are_safe_and_need_nothing():
    cfg = Config.from_env({})
    assert cfg.database_url.startswith("sqlite:///") and cfg.database_url.endswith("instance/hotline.sqlite3")
    assert cfg.redis_url is None and not cfg.twilio_enabled and cfg.verify_signatures
    cfg.validate()


def test_production_refuses_to_start_without_token_and_secret():
    with pytest.raises(ConfigError) as err:
        Config.from_env({"HOTLINE_ENV": "production"}).validate()
    assert "TWILIO_AUTH_TOKEN" in str(err.value) and "SECRET_KEY" in str(err.value)


def test_production_refuses_the_dev_signature_switch():
    env = {"HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t" * 32, "SECRET_KEY": "s" * 40,
           "PUBLIC_BASE_URL": "https://hotline.example.org", "HOTLINE_LOG_SIGNING_KEY_FILE": "/etc/k.pem",
           "HOTLINE_DEV_SKIP_TWILIO_SIGNATURE": "1"}
    with pytest.raises(ConfigError, match="HOTLINE_DEV_SKIP_TWILIO_SIGNATURE"):
        Config.from_env(env).validate()
    env.pop("HOTLINE_DEV_SKIP_TWILIO_SIGNATURE")
    assert Config.from_env(env).validate().production


def test_heroku_style_postgres_url_is_rewritten_for_psycopg():
    cfg = Config.from_env({"DATABASE_URL": "postgres://u:p@db/hotline"})
    assert cfg.database_url == "postgresql+psycopg://u:p@db/hotline"


def test_twilio_needs_a_sender():
    with pytest.raises(ConfigError, match="TWILIO_FROM_NUMBERS"):
        Config.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "x"}).validate()
    cfg = Config.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "x",
                           "TWILIO_FROM_NUMBERS": "+15155550100, +15155550101"})
    assert cfg.twilio_enabled and cfg.twilio_from_numbers == ("+15155550100", "+15155550101")


@pytest.mark.parametrize("spelling", ["Production", "prod", "PRODUCTION", "production ", "staging", ""])
def test_an_environment_not_spelled_exactly_is_refused(spelling):
    # "Production" once started a production box in development mode: default SECRET_KEY,
    # skippable signatures, the phone simulator on.
    with pytest.raises(ConfigError, match="HOTLINE_ENV"):
        Config.from_env({"HOTLINE_ENV": spelling} if spelling else {"HOTLINE_ENV": "x"}).validate()


@pytest.mark.parametrize("spelling", ["development", "test"])
def test_the_other_environments_start(spelling):
    assert not Config.from_env({"HOTLINE_ENV": spelling}).validate().production


def test_production_needs_a_configured_log_signing_key():
    env = {"HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t" * 32, "SECRET_KEY": "s" * 40,
           "PUBLIC_BASE_URL": "https://hotline.example.org"}
    with pytest.raises(ConfigError, match="HOTLINE_LOG_SIGNING_KEY"):
        Config.from_env(env).validate()
    assert Config.from_env({**env, "HOTLINE_LOG_SIGNING_KEY_FILE": "/etc/k.pem"}).validate().production


def test_production_needs_an_https_public_base_url():
    env = {"HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t" * 32, "SECRET_KEY": "s" * 40,
           "HOTLINE_LOG_SIGNING_KEY_FILE": "/etc/k.pem"}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        Config.from_env(env).validate()
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        Config.from_env({**env, "PUBLIC_BASE_URL": "http://hotline.example.org"}).validate()
    cfg = Config.from_env({**env, "PUBLIC_BASE_URL": "https://hotline.example.org/"}).validate()
    assert cfg.public_base_url == "https://hotline.example.org"


def test_hardening_paths_follow_the_instance_folder_unless_set(tmp_path):
    cfg = Config.from_env({"HOTLINE_INSTANCE_PATH": str(tmp_path)})
    assert cfg.signing_key_path == tmp_path / "log-signing-key.pem"
    assert cfg.checkpoints_path == tmp_path / "checkpoints"
    cfg = Config.from_env({"HOTLINE_CHECKPOINT_DIR": str(tmp_path / "cp"),
                           "HOTLINE_LOG_SIGNING_KEY_FILE": str(tmp_path / "k.pem")})
    assert cfg.checkpoints_path == tmp_path / "cp" and cfg.signing_key_path == tmp_path / "k.pem"
