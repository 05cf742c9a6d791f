"""Use cases against in-memory fakes: fast, no Redis, no worker, no web."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.services.units import Units
from tests.unit.services.fakes import FakeJobs, memory_units


@pytest.fixture
def jobs() -> FakeJobs:
    return FakeJobs()


@pytest.fixture
def units(jobs: FakeJobs) -> Iterator[Units]:
    u = memory_units(jobs)
    yield u
    u.db.dispose()
