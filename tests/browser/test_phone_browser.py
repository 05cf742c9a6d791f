"""The phone simulator's keypad call in a real browser: dial, read the prompts, press keys, hang up."""
from __future__ import annotations

import pytest

from tests.browser.conftest import time_budget
from tests.browser.test_console_browser import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]


def test_a_keypad_call_in_the_browser(page, rt, artifacts):
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, "alice")
    page.goto("/dev/phone/")
    page.get_by_role("link", name="make a keypad call").click()
    page.get_by_label("Call from").select_option(label="DSM-42: Maria Nguyen (+15155550142)")
    page.get_by_role("button", name="Dial the hotline").click()
    heard = page.locator("#heard")
    assert "To report results with your keypad, press 1." in heard.inner_text()
    check_page(page, artifacts, "12-phone-call")
    page.get_by_role("form", name="Keypad").get_by_role("button", name="1", exact=True).click()
    assert "Enter your precinct code on the keypad" in heard.inner_text()
    page.get_by_label("Keys").fill("37642#")
    page.get_by_role("button", name="Press").click()
    assert "You pressed: 3 7 6 4 2" in heard.inner_text()
    assert "Enter the chair's PIN" in heard.inner_text()
    page.get_by_role("button", name="Hang up").click()
    assert "(you hung up)" in heard.inner_text()
    assert page.get_by_role("button", name="Dial the hotline").is_visible()
    check_page(page, artifacts, "13-phone-call-ended")
    assert refused == []
