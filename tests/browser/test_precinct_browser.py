"""A precinct's public page in a real browser: a 360 px phone and a desktop, with the worksheet
photo, the changes over the night, and the way back to the results page."""
from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from hotline.adapters.models import WorksheetPhoto
from hotline.adapters.queues import ALL_QUEUES
from hotline.services.console import photos
from tests.browser.conftest import NO_SIDEWAYS_SCROLL, keep, time_budget
from tests.browser.test_results_browser import DSM_42
from tests.support.chairs import Phone, report
from tests.support.media import PNG, Answer, twilio_media, with_media  # noqa: F401
from tests.support.stack import work

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]

MEDIA = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM8/Media/ME8"
SHA = hashlib.sha256(PNG).hexdigest()


def published_with_photo(client: Any, rt: Any, media: Any) -> None:
    """DSM-42 reports, corrects its final alignment, texts a worksheet photo; staff mark it matching."""
    rt.config = with_media(rt.config, media)
    chair = Phone(client, rt, "+15155550142")
    report(chair, *DSM_42)
    report(chair, "final: Pete 56, Bernie 47, Warren 32")
    chair.send("worksheet", media=[media.serve(MEDIA, Answer(200, "image/png", PNG))])
    work(rt, ALL_QUEUES)
    with rt.db.reading() as s:
        photo_id = s.scalars(select(WorksheetPhoto.id).where(WorksheetPhoto.sha256 == SHA)).one()
    photos.mark(rt.units, photo_id, "matches", "alex")


def test_on_a_phone_the_precinct_page_fits_and_shows_photo_hash_and_changes(phone_tab, client, rt, artifacts,
                                                                            twilio_media):  # noqa: F811
    page, blocked = phone_tab
    published_with_photo(client, rt, twilio_media)
    page.goto("/results/precincts/DSM-42")
    assert page.locator("h1").inner_text().startswith("DSM-42")
    assert page.locator(".status").inner_text().startswith("Published.")
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 360
    # the figures fit the phone without scrolling inside their box
    assert page.evaluate("Array.from(document.querySelectorAll('.table-scroll'))"
                         ".map(e => e.scrollWidth - e.clientWidth)") == [0]
    row = page.locator("table.figures tbody tr").first
    assert row.locator("th").inner_text() == "Buttigieg" and row.locator("td").nth(1).inner_text() == "56"
    image = page.locator(".photos img")
    image.scroll_into_view_if_needed()
    # the test's PNG bytes are not a picture a browser can draw: what matters is that the page
    # links our copy by its hash and that nothing on it is wider than the phone
    assert image.get_attribute("src") == f"/results/precincts/DSM-42/photos/{SHA}"
    assert image.bounding_box()["width"] <= 360
    assert SHA in page.locator(".photos .hash").inner_text().replace("\n", "")
    changes = page.locator(".changes > li")
    assert changes.count() == 2
    assert "Correction by the chair" in changes.nth(1).inner_text()
    assert "Final alignment: Buttigieg 55" in changes.nth(1).inner_text()
    assert page.locator("nav[aria-label=Main] a").all_inner_texts() == ["Results"]  # no staff links
    keep(page, artifacts, "precinct-360")
    assert blocked == []


def test_on_a_desktop_the_results_page_links_to_the_precinct_and_back(desktop_tab, client, rt, artifacts):
    page, blocked = desktop_tab
    report(Phone(client, rt, "+15155550142"), *DSM_42)
    page.goto("/results")
    page.locator("#county-polk").get_by_role("link", name="DSM-42").click()
    page.wait_for_url("**/results/precincts/DSM-42")
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 1280
    assert page.get_by_text("The reported county delegates match.").is_visible()
    assert page.locator(".facts").get_by_text("Viability number").is_visible()
    proof = page.get_by_role("link", name="proof")
    assert proof.get_attribute("href") == "/api/results/precincts/DSM-42/proof"
    assert page.get_by_role("link", name="Download verify_public.py").is_visible()
    keep(page, artifacts, "precinct-1280")
    page.get_by_role("link", name="Results", exact=True).first.click()
    page.wait_for_url("**/results")
    assert blocked == []


def test_an_unknown_precinct_gets_a_page_that_says_so(desktop_tab):
    page, _ = desktop_tab
    response = page.goto("/results/precincts/XYZ-9")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "No precinct XYZ-9"
