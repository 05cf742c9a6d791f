"""Browser fixtures: Debian's Chromium driven by Playwright, and the real app served in a thread."""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from hotline.adapters import migrate
from hotline.app import create_app
from hotline.services.console import accounts as staff
from tests.support.chairs import load_roster
from tests.support.stack import _redis_reachable_again, app, client, config, redis_server, rt  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser-pass-1"
STEP_TIMEOUT_MS = 10_000  # any single click, fill or wait; the test's own timeout bounds the rest


def time_budget() -> int:
    """Seconds per browser test: two minutes, or fifteen when Chromium must be installed first."""
    return 120 if Path(CHROMIUM).exists() else 900


def _install_chromium() -> str | None:
    """Install Debian's Chromium once per machine (one installer at a time); None when impossible."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    with open("/tmp/hotline-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: the second one waits, then finds it installed
        if not Path(CHROMIUM).exists():
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
                if subprocess.run(cmd, check=False, env=env, capture_output=True, timeout=900).returncode != 0:
                    return None
    return CHROMIUM if Path(CHROMIUM).exists() else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: the playwright package is missing (pip install -e '.[test]')")
    path = _install_chromium()
    if path is None:
        pytest.skip(f"browser tests skipped: {CHROMIUM} is missing and `apt-get install chromium` "
                    "was not possible here (needs root and Debian's package mirror)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=ARGS, timeout=60_000)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Browser tests use SQLite only: they test pages, and the services run on PostgreSQL elsewhere."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'test.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def live_url(rt) -> Iterator[str]:  # type: ignore[no-untyped-def]  # noqa: F811
    """The real app on a loopback port, with the test roster and three accounts."""
    load_roster(rt)
    with rt.db.transaction() as uow:
        for name, role, phone in (("alice", "staff", "+15155550911"), ("bob", "staff", "+15155550912"),
                                  ("carol", "admin", "+15155550913")):
            staff.create_user(uow.session, name, PASSWORD, role, actor="test", phone=phone)
    server = make_server("127.0.0.1", 0, create_app(runtime=rt), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, live_url) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(STEP_TIMEOUT_MS)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth"


def open_tab(browser: Any, live_url: str, width: int, height: int, **options: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(base_url=live_url, viewport={"width": width, "height": height}, **options)
    tab = context.new_page()
    tab.set_default_timeout(STEP_TIMEOUT_MS)
    blocked: list[str] = []  # anything the Content-Security-Policy refused
    tab.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield tab, blocked
    context.close()


@pytest.fixture
def phone_tab(browser, live_url) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    yield from open_tab(browser, live_url, 360, 740, is_mobile=True, has_touch=True, device_scale_factor=2)


@pytest.fixture
def desktop_tab(browser, live_url) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    yield from open_tab(browser, live_url, 1280, 800)


def keep(page: Any, artifacts: Path, name: str) -> None:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copyfile(path, f"/tmp/{name}.png")
