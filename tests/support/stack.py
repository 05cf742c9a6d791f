"""The running stack for tests: a throwaway redis-server, SQLite (and PostgreSQL when configured),
the real runtime, the app and its test client. Folders whose tests need it re-export its fixtures
in their conftest.py; unit tests of the domain and of the use cases do not load it at all."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from rq import SimpleWorker
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from hotline.adapters import migrate
from hotline.app import create_app
from hotline.config import Config
from hotline.adapters.embedded_redis import EmbeddedRedis
from hotline.adapters.models import Base
from hotline.adapters.queues import ALL_QUEUES, Q_MEDIA, FailFastConnection
from hotline.runtime import Runtime, build
from hotline.services.log import checkpoints as log_checkpoints
from hotline.services.results import proofs as results_proofs
from hotline.services.results import public as results_public
from workers import context as jobs_context

TOKEN = "test-auth-token"
BASE = "https://hotline.test"
ACCOUNT_SID = "AC" + "0" * 32  # what test webhooks name (the test config sets no account of its own)


def twilio_sid(prefix: str = "SM", label: str | None = None) -> str:
    """An identifier shaped as Twilio's, `prefix` + 32 lowercase hex (the webhooks refuse others);
    random, or the same for the same `label`."""
    digits = hashlib.md5(label.encode()).hexdigest() if label is not None else uuid.uuid4().hex
    return prefix + digits


@pytest.fixture(autouse=True)
def _redis_reachable_again() -> None:
    """Each test starts with the fail-fast Redis breaker closed (a test may have stopped Redis)."""
    FailFastConnection.down_until = 0.0


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A real redis-server on a free port, private to this test process."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False)
    server.start()
    yield server
    server.stop()


def _pg_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    return Config.from_env({"DATABASE_URL": url}).database_url


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database per backend; PostgreSQL only when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        migrate.upgrade(url)
        yield url
        return
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL tests skipped: TEST_DATABASE_URL is not set")
    name = f"hotline_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    yield url
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _wipe(rt: Runtime) -> None:
    with rt.db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("INSERT INTO log_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
        conn.execute(text("INSERT INTO result_sequence (id, value) VALUES (1, 0)"))


@pytest.fixture
def config(tmp_path: Path, database_url: str, redis_server: EmbeddedRedis) -> Config:
    return Config(env="test", instance_path=tmp_path, database_url=database_url,
                  redis_url=redis_server.url, twilio_auth_token=TOKEN, twilio_auth_token_set=True,
                  public_base_url=BASE, secret_key="test-secret-key-0123456789")


@pytest.fixture
def rt(config: Config) -> Iterator[Runtime]:
    """The real runtime on a clean database and an empty Redis."""
    runtime = build(config)
    runtime.redis.flushdb()
    _wipe(runtime)
    results_public.forget_cached()
    results_public._cache.version_ttl = 0  # read changes at once (the TTL: test_public_limits_and_ttl.py)
    results_proofs.forget_cached()
    log_checkpoints.forget_kept()
    jobs_context.install(runtime)
    yield runtime
    jobs_context.install(None)
    runtime.close()


@pytest.fixture
def app(rt: Runtime):  # type: ignore[no-untyped-def]
    flask_app = create_app(runtime=rt)
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def sign(path: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(f"{BASE}{path}", form)


class BurstWorker(SimpleWorker):
    """RQ's in-process worker without the pub/sub command channel, whose thread takes 1 s to join."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


# What `work` runs unless told otherwise: every queue but the photo downloads, which would reach
# for api.twilio.com; tests of photos run Q_MEDIA against a stand-in (tests/support/media.py).
WITHOUT_MEDIA = tuple(q for q in ALL_QUEUES if q != Q_MEDIA)


def work(rt: Runtime, queues: tuple[str, ...] = WITHOUT_MEDIA) -> None:
    """Run every queued job (and the jobs they queue) with a real RQ worker, then return."""
    worker = BurstWorker(list(queues), connection=rt.redis)
    worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
