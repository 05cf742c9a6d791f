"""The Operations page on a 390 px phone: no sideways scrolling, failed jobs and their buttons reachable."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from rq import Queue

from hotline.adapters.queues import Q_DEFAULT
from tests.browser.conftest import NO_SIDEWAYS_SCROLL, PASSWORD, keep, open_tab, time_budget
from tests.support.stack import work

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]


@pytest.fixture
def narrow_tab(browser, live_url) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    yield from open_tab(browser, live_url, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)


def test_the_operations_page_fits_a_phone_and_requeues_a_failed_job(narrow_tab, rt, artifacts):
    page, blocked = narrow_tab
    Queue(Q_DEFAULT, connection=rt.redis).enqueue("builtins.int", "not a number",
                                                  job_id="a-rather-long-failed-job-id-0123456789")
    work(rt, (Q_DEFAULT,))
    page.goto("/login")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/$"))
    page.goto("/admin/operations")
    assert page.locator("h1").inner_text() == "Operations"
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 390
    keep(page, artifacts, "operations-phone")
    page.get_by_role("button", name="Requeue").click()
    page.wait_for_url(re.compile(r"/admin/operations$"))
    assert "is back in the default queue" in page.locator(".flashes").inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 390
    assert blocked == []  # nothing refused by the Content-Security-Policy (the stylesheet is a file)
