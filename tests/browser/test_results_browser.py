"""The public results page in a real browser: a 360 px phone and a desktop, refreshing itself."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import NO_SIDEWAYS_SCROLL, keep, open_tab, time_budget
from tests.support.chairs import Phone, report

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]

DSM_42 = ("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30",
          "final: Pete 55, Bernie 48, Warren 32", "delegates: Pete 3, Bernie 2, Warren 2")
IC_5 = ("first: Pete 30, Bernie 40, Warren 20, Biden 5", "final: Pete 33, Bernie 42, Warren 20",
        "delegates: Pete 1, Bernie 2, Warren 1")


def publish(client: Any, rt: Any, phone: str, texts: tuple[str, ...]) -> None:
    """A chair texts all three stages and confirms each: the precinct is published."""
    report(Phone(client, rt, phone), *texts)


def test_on_a_phone_the_page_fits_shows_the_bar_and_refreshes_itself(phone_tab, client, rt, artifacts):
    page, blocked = phone_tab
    publish(client, rt, "+15155550142", DSM_42)
    page.clock.install()  # the page's 30-second timer runs on a clock the test moves
    page.goto("/results")
    assert page.locator("#statewide-reporting").inner_text() == "1 of 4 precincts reporting"
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 360
    bar = page.locator(".headline .meter")
    assert bar.is_visible() and bar.bounding_box()["width"] >= 300
    assert page.locator(".headline .meter-fill").get_attribute("width") == "25.0"
    # wide tables would scroll inside their own box; these figures fit without it
    assert page.evaluate("Array.from(document.querySelectorAll('.table-scroll'))"
                         ".map(e => e.scrollWidth - e.clientWidth)") == [0, 0, 0]
    assert page.locator("nav[aria-label=Main] a").all_inner_texts() == ["Results"]  # no staff links
    assert page.get_by_text("Staff sign-in").is_visible()
    keep(page, artifacts, "results-360")

    page.locator("#details-county-polk summary").click()  # a reader opened Polk's figures
    publish(client, rt, "+13195550105", IC_5)  # Iowa City 5 is published while the page is open
    assert client.get("/api/results").get_json()["precincts_reporting"] == 2
    assert page.locator("#statewide-reporting").inner_text() == "1 of 4 precincts reporting"
    page.clock.fast_forward(31_000)
    page.locator("#statewide-reporting", has_text="2 of 4 precincts reporting").wait_for()
    assert page.locator(".headline .meter-fill").get_attribute("width") == "50.0"
    assert page.locator("tr[data-county=Johnson] .count").inner_text() == "1 of 1"
    assert page.locator("#results-status").inner_text() == "Results updated: 2 of 4 precincts reporting"
    assert page.locator("#details-county-polk").get_attribute("open") is not None  # still open
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 360
    assert blocked == []


def test_on_a_desktop_the_charts_tables_and_county_links_work(desktop_tab, client, rt, artifacts):
    page, blocked = desktop_tab
    publish(client, rt, "+15155550142", DSM_42)
    publish(client, rt, "+13195550105", IC_5)
    page.goto("/results")
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 1280
    assert page.locator("#statewide-reporting").inner_text() == "2 of 4 precincts reporting"
    sde = page.locator("[data-chart=sde] .chart-row")
    assert sde.first.locator(".chart-name").inner_text() == "Sanders"  # 0.80 + 1.00 SDEs against 1.20 + 0.50
    assert sde.first.locator("svg").bounding_box()["width"] > 300  # the leader's bar spans its column
    assert page.locator("[data-chart=alignment] .fill-first").count() == sde.count()
    assert page.locator("time[data-field=updated]").inner_text().endswith((" CST", " CDT"))
    keep(page, artifacts, "results-1280")
    page.get_by_role("link", name="List of Polk precincts").click()
    assert page.url.endswith("#county-polk")
    assert page.locator("#county-polk").get_by_text("DSM-42").is_visible()
    assert blocked == []


def test_without_javascript_the_page_is_complete(browser, live_url, client, rt):
    publish(client, rt, "+15155550142", DSM_42)
    for tab, _ in open_tab(browser, live_url, 360, 740, java_script_enabled=False):
        tab.goto("/results")
        assert tab.locator("#statewide-reporting").inner_text() == "1 of 4 precincts reporting"
        assert tab.locator("[data-chart=sde] .chart-row").count() >= 3
        assert tab.evaluate(NO_SIDEWAYS_SCROLL) <= 360
