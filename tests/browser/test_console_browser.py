"""The console in a real browser: a shift from sign-in to an approved result and a verified log."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.adapters.models import Precinct
from hotline.services.records import backlog
from tests.browser.conftest import PASSWORD, time_budget

pytestmark = [pytest.mark.browser, pytest.mark.timeout(time_budget())]

RESULTS = ("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30\n"
           "final: Pete 55, Bernie 48, Warren 32\ndelegates: Pete 3, Bernie 2, Warren 2")
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""


def open_item(rt, kind: str, code: str, summary: str) -> int:
    with rt.db.transaction() as uow:
        pid = uow.session.execute(select(Precinct.id).where(Precinct.code == code)).scalar_one()
        return backlog.open_item(uow.session, kind, precinct_id=pid, summary=summary).id


def sign_in(page: Any, name: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/$"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))


def check_page(page: Any, artifacts: Path, name: str) -> None:
    """Every input has a label, and a screenshot is kept for people to look at."""
    assert page.evaluate(UNLABELLED) == [], f"inputs without a label on {page.url}"
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_a_shift_from_claim_to_approved_result_and_verified_log(page, rt, artifacts):
    call = open_item(rt, "callback_request", "DSM-42", "DSM-42: the chair asked for a call back")
    open_item(rt, "unparsed_text", "IC-5", "Text not understood from +13195550105")
    page.goto("/login")
    check_page(page, artifacts, "01-login")
    sign_in(page, "alice")
    check_page(page, artifacts, "02-queue")

    # Keyboard only: Tab from the filters to the first "Work on this" button, Enter to claim it.
    page.focus("#county")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.action") == "claim":
            break
    assert page.evaluate("document.activeElement.id") == f"claim-{call}"   # most urgent first
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/console/items/{call}$"))
    assert page.get_by_text("You are working on this item").is_visible()
    check_page(page, artifacts, "03-item")

    page.get_by_role("button", name="Call now").click()
    assert page.get_by_text("the call request went to the outbox").is_visible()

    page.get_by_role("link", name="Enter results").click()
    page.get_by_label("Results, the way the chair would text them").fill(RESULTS)
    check_page(page, artifacts, "04-enter")
    page.get_by_role("button", name="Enter from text").click()
    assert page.get_by_text("Entered for DSM-42.").is_visible()
    page.get_by_label("What did you do? (required)").fill("Called back; took all three stages by phone")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(re.compile(r"/console/$"))
    sign_out(page)

    sign_in(page, "bob")
    page.get_by_role("link", name="Approvals").first.click()
    assert page.get_by_text("entered by alice").is_visible()
    check_page(page, artifacts, "05-approvals")
    page.get_by_role("button", name="Approve: these numbers are right").click()
    assert page.get_by_text("Approved: the results now count").is_visible()
    sign_out(page)

    sign_in(page, "carol")
    page.get_by_role("link", name="Admin").click()
    assert page.locator("#statewide-reporting").inner_text() == "1 of 4 precincts reporting"
    assert page.locator("#precinct-DSM-42 td[data-state]").inner_text() == "Entered by staff and approved"
    check_page(page, artifacts, "06-board")
    page.get_by_role("link", name="Verification log").click()
    page.get_by_role("button", name="Verify the chain").click()
    assert page.get_by_text("The verification log is intact").is_visible()
    page.get_by_label("Precinct").fill("DSM-42")
    page.get_by_role("button", name="Search").click()
    log = page.locator("#log").inner_text()
    assert "staff_entered" in log and "alice" in log and "staff_approved" in log and "bob" in log
    check_page(page, artifacts, "07-log")


def test_queue_updates_without_reload(page, rt, artifacts):
    sign_in(page, "alice")
    assert page.get_by_text("Nothing is waiting").is_visible()
    item = open_item(rt, "failed_check", "IC-5", "IC-5: delegates do not match the formula")
    page.locator(f"#row-{item}").wait_for(timeout=12_000)   # the page polls every 4 seconds
    assert page.locator('[data-count="failed_check"]').inner_text() == "1"


def test_admin_pages_have_labels(page, rt, artifacts):
    sign_in(page, "carol")
    for name, path in (("08-imports", "/admin/imports"), ("09-staff", "/admin/staff"),
                       ("10-reconcile", "/admin/reconcile?code=DSM-42"), ("11-phone", "/dev/phone/?phone=%2B15155550142")):
        page.goto(path)
        check_page(page, artifacts, name)
