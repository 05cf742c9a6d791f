"""The settings the Missing page and blasts read: the caucus start and the blast limit."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hotline.config import Config, ConfigError


def test_the_caucus_start_is_an_iso_time_with_its_offset():
    cfg = Config.from_env({"HOTLINE_CAUCUS_STARTS_AT": "2020-02-03T19:00:00-06:00"})
    assert cfg.caucus_starts_at == datetime(2020, 2, 4, 1, 0, tzinfo=timezone.utc)
    assert Config.from_env({}).caucus_starts_at is None
    with pytest.raises(ConfigError, match="UTC offset"):
        Config.from_env({"HOTLINE_CAUCUS_STARTS_AT": "2020-02-03T19:00:00"})
    with pytest.raises(ConfigError, match="ISO 8601"):
        Config.from_env({"HOTLINE_CAUCUS_STARTS_AT": "7pm"})


def test_the_blast_limit_defaults_to_5000():
    assert Config.from_env({}).blast_max_recipients == 5000
    assert Config.from_env({"HOTLINE_BLAST_MAX_RECIPIENTS": "20"}).blast_max_recipients == 20
