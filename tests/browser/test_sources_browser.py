"""A second source in a real browser: an observer's first alignment differs from the chair's, staff
on a phone find the conflict item, compare the counts side by side and confirm the chair's figures."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem
from tests.browser.conftest import NO_SIDEWAYS_SCROLL, keep, open_tab, time_budget
from tests.browser.test_console_browser import sign_in
from tests.support.chairs import Phone, report
from tests.support.observers import add_observer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
OBSERVED = FIRST.replace("Warren 30", "Warren 33")
LABEL = "An observer's counts differ from the chair's: compare, then settle"


@pytest.fixture
def phone_390(browser, live_url) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    """A 390 px phone: the width the console's item page is meant to fit."""
    yield from open_tab(browser, live_url, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)


def test_staff_on_a_phone_compare_the_sources_and_confirm_the_chairs_figures(phone_390, client, rt, artifacts):
    page, blocked = phone_390
    width = page.viewport_size["width"]
    add_observer(rt, "+15155559001", "DSM-42", name="Ana Ruiz", organisation="Warren campaign")
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    report(Phone(client, rt, "+15155559001"), OBSERVED)
    with rt.db.reading() as s:
        item_id = s.scalars(select(BacklogItem.id).where(BacklogItem.kind == "source_conflict")).one()

    page.goto("/results/precincts/DSM-42")
    assert page.locator(".status").inner_text().startswith("Held for review.")  # out while the sources differ

    sign_in(page, "alice")
    row = page.locator(f"#row-{item_id}")
    assert LABEL in row.inner_text() and "DSM-42" in row.inner_text()
    # On a phone the queue stacks its rows: nothing past the screen's edge, so a tap lands where it should.
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""", width)
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= width, f"the work queue scrolls sideways on a phone: {wide}"
    claim = row.get_by_role("button", name=re.compile("^Work on this"))
    (claim if claim.count() else row.get_by_role("link", name=re.compile("^View"))).click()
    page.wait_for_url(re.compile(rf"/console/items/{item_id}$"))

    sources = page.locator("#sources")
    assert sources.get_by_role("heading", name="Second source").is_visible()
    assert "Warren campaign" in sources.locator("thead").first.inner_text()
    differing = sources.locator("td.differs")
    assert differing.count() == 1
    warren = differing.locator("xpath=..")
    assert warren.locator("th").inner_text() == "Warren"
    assert [c.strip() for c in warren.locator("td").all_inner_texts()] == ["30", "33 differs"]
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= width, "the item page scrolls sideways on a phone"
    keep(page, artifacts, "sources-conflict-390")

    # empty: the browser's required check (or, failing that, the server) refuses it
    note = sources.get_by_label(re.compile("what did you check"))
    confirm = sources.get_by_role("button", name="Confirm the chair's figures")
    url = page.url
    confirm.click()
    if page.url == url:
        assert note.evaluate("el => el.validity.valueMissing")
    else:
        page.get_by_text("Say what you checked").wait_for()
    with rt.db.reading() as s:
        assert s.get(BacklogItem, item_id).resolved_at is None

    note.fill("worksheet photo shows Warren 30")
    confirm.click()
    page.wait_for_url(re.compile(rf"/console/items/{item_id}#sources$"))
    assert page.get_by_text("Held: an observer's counts differ").count() == 0
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= width
    with rt.db.reading() as s:
        item = s.get(BacklogItem, item_id)
        assert item.resolution == "chair_confirmed" and item.resolved_by == "alice"
    keep(page, artifacts, "sources-conflict-settled")

    page.goto("/results/precincts/DSM-42")
    assert page.locator(".status").inner_text().startswith("Published.")
    assert "Ana Ruiz" not in page.content() and "worksheet photo shows" not in page.content()
    assert blocked == []
