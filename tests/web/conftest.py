"""Web tests run against the real stack (Redis, the database, the app).

The console's and the public pages' tests run on SQLite only: what they test is the pages, and
the SQL under them is the same as the pipelines' (whose web tests, sms/ and voice/, and every
integration test run on PostgreSQL too). A console test that depends on the database's own
behaviour (two staff claiming at once) is marked `pg` and runs on both. This keeps the whole
suite under five minutes on two cores with PostgreSQL.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.stack import _redis_reachable_again, app, client, config, database_url, redis_server, rt  # noqa: F401

HERE = Path(__file__).parent
SQLITE_ONLY = (HERE / "console",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:  # noqa: F811 (pytest passes it by this name)
    keep, dropped = [], []
    for item in items:
        pages = any(Path(item.path).is_relative_to(d) for d in SQLITE_ONLY) or item.get_closest_marker("sqlite_only")
        if "[postgres" in item.nodeid and pages and not item.get_closest_marker("pg"):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
