"""A precinct hold in a real browser: one staff member holds a precinct from its page on a phone, the
public page says "held for review" and since when (never why), and a second staff member, in a
browser of their own, releases it."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import NO_SIDEWAYS_SCROLL, keep, open_tab, time_budget
from tests.browser.test_console_browser import sign_in
from tests.support.chairs import Phone, report

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]

DSM_42 = ("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30",
          "final: Pete 55, Bernie 48, Warren 32", "delegates: Pete 3, Bernie 2, Warren 2")
REASON = "worksheet photo shows 56 for Pete"
PAGE = "/console/precincts/DSM-42"
PUBLIC = "/results/precincts/DSM-42"


@pytest.fixture
def visitor(browser, live_url) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    """A member of the public on a phone: a browser context of its own, never signed in."""
    yield from open_tab(browser, live_url, 360, 740, is_mobile=True, has_touch=True, device_scale_factor=2)


def test_one_staff_member_holds_a_precinct_on_a_phone_and_another_releases_it(phone_tab, desktop_tab, visitor,
                                                                             client, rt, artifacts):
    page, blocked = phone_tab
    other, other_blocked = desktop_tab          # a second browser context: bob's own cookies
    public, public_blocked = visitor
    width = page.viewport_size["width"]
    report(Phone(client, rt, "+15155550142"), *DSM_42)

    sign_in(page, "alice")
    page.goto(PAGE)
    hold = page.locator("#hold")
    assert "Not held" in hold.inner_text()
    hold.get_by_label("Why hold it?").fill(REASON)
    hold.get_by_role("button", name="Hold this precinct").click()
    page.wait_for_url(re.compile(r"/console/precincts/DSM-42#hold$"))
    assert page.get_by_text("DSM-42 is held for review").is_visible()
    # alice placed it, so the page offers her no release, and says why
    assert hold.get_by_text("another staff member must review the precinct").is_visible()
    assert hold.get_by_role("button", name="Release the hold").count() == 0
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= width, "the precinct page scrolls sideways on a phone"
    keep(page, artifacts, "hold-placed-360")

    public.goto(PUBLIC)
    status = public.locator(".status")
    assert status.inner_text().startswith("Held for review.")
    assert "Held since" in status.inner_text() and status.locator("time").get_attribute("datetime")
    assert REASON not in public.content() and "alice" not in public.content()   # when, never why or who
    assert public.locator("table.figures").count() == 0                        # nor the figures
    keep(public, artifacts, "hold-public-360")

    sign_in(other, "bob")
    other.goto(PAGE)
    bob_hold = other.locator("#hold")
    assert f"by alice: {REASON}" in bob_hold.inner_text()
    release = bob_hold.get_by_role("button", name="Release the hold")
    release.click()                              # no note: the browser's required check stops it
    assert bob_hold.get_by_label("What did you check?").evaluate("el => el.validity.valueMissing")
    bob_hold.get_by_label("What did you check?").fill("called the chair: 55 is right")
    release.click()
    other.wait_for_url(re.compile(r"/console/precincts/DSM-42#hold$"))
    assert other.get_by_text("DSM-42 is released").is_visible()
    assert "Not held (1 earlier hold, released)" in other.locator("#hold").inner_text()
    keep(other, artifacts, "hold-released-1280")

    public.reload()
    assert public.locator(".status").inner_text().startswith("Published.")
    assert public.locator("table.figures").count() > 0
    assert REASON not in public.content() and "alice" not in public.content() and "bob" not in public.content()
    assert blocked == other_blocked == public_blocked == []
