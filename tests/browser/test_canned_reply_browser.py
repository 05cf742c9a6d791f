"""Canned replies in a real browser: an administrator adds one, staff insert it into Text the chair
(by JavaScript from static/console.js, no reload, nothing refused by the CSP)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import time_budget
from tests.browser.test_console_browser import check_page, open_item, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]


def test_a_canned_reply_is_inserted_at_the_cursor(desktop_tab, rt, artifacts):
    page, blocked = desktop_tab
    sign_in(page, "carol")
    page.goto("/admin/replies")
    page.get_by_label("Title").last.fill("Photo please")
    page.locator("#new-language").select_option("es")
    page.locator("#new-body").fill("Envíe una foto de la hoja, por favor.")
    page.get_by_role("button", name="Add canned reply").click()
    page.get_by_text("1 canned reply").wait_for()
    check_page(page, artifacts, "24-canned-replies")
    sign_out(page)

    item = open_item(rt, "callback_request", "DSM-42", "DSM-42: the chair asked for a call back")
    sign_in(page, "alice")
    page.goto(f"/console/items/{item}")
    page.get_by_role("button", name="Work on this item").click()
    box = page.locator("#sms-body")
    box.fill("Hola.")
    url = page.url
    page.get_by_label("Canned reply").select_option(label="[es] Photo please")
    assert box.input_value() == "Hola. Envíe una foto de la hoja, por favor."
    assert page.url == url                                   # inserted without a reload
    assert page.locator("#canned").input_value() == ""       # ready for the next one
    check_page(page, artifacts, "25-canned-reply-inserted")
    assert blocked == []


def test_the_figures_page_updates_by_itself(desktop_tab, rt, artifacts):
    page, blocked = desktop_tab
    sign_in(page, "carol")
    page.goto("/admin/figures")
    assert page.get_by_text("Nothing is waiting.").is_visible()
    open_item(rt, "failed_check", "IC-5", "IC-5: delegates do not match the formula")
    row = page.locator('#queue-figures-rows tr[data-kind="failed_check"]')
    row.wait_for(timeout=12_000)                         # the page polls every 4 seconds
    assert row.locator('[data-fig="waiting"]').inner_text() == "1"
    assert page.locator('#staff-figures-rows tr[data-staff="alice"] [data-fig="resolved"]').inner_text() == "0"
    check_page(page, artifacts, "26-staff-figures")
    assert blocked == []
