"""The phone simulator's keypad call: dial, hear the prompts as text, press keys, hang up, through the
real signed voice webhooks (no Twilio)."""
from __future__ import annotations

import html
import re
from dataclasses import replace

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, CallEvent, Report

CHAIR = "+15155550142"  # DSM-42


def heard(page: str) -> list[str]:
    """The transcript lines on the call page."""
    found = re.search(r'<ol class="thread" id="heard"[^>]*>(.*?)</ol>', page, re.DOTALL)
    assert found, page
    return [html.unescape(t) for t in re.findall(r'<span class="sms">(.*?)</span>', found.group(1), re.DOTALL)]


def act(member, action: str, **data: str) -> str:
    resp = member.post(f"/dev/phone/call/{action}", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return member.text("/dev/phone/call")


def test_a_keypad_call_dials_hears_the_menu_and_reports_by_keypad(rt, alice):
    page = alice.text("/dev/phone/call")
    assert "Dial the hotline" in page and "<script>" not in page  # the CSP forbids inline scripts
    page = act(alice, "dial", phone=CHAIR)
    lines = heard(page)
    assert lines[0] == f"(calling the hotline from {CHAIR})"
    assert lines[1].startswith("Hotline: ") and "press 1" in lines[1].lower()
    assert 'name="digits"' in page and "Hang up" in page
    page = act(alice, "keys", digits="1")  # report by keypad
    assert heard(page)[-2] == "You pressed: 1"
    assert "precinct" in heard(page)[-1].lower()
    page = act(alice, "keys", digits="37642#")  # DSM-42 on the letter keys, # ends it
    assert heard(page)[-2] == "You pressed: 3 7 6 4 2"
    with rt.db.transaction() as uow:
        steps = list(uow.session.execute(select(CallEvent.step).order_by(CallEvent.id)).scalars())
    assert steps[:3] == ["incoming", "menu", "precinct"]  # the real webhooks, signed, in order
    page = act(alice, "hangup")
    assert heard(page)[-1] == "(you hung up)" and "Dial the hotline" in page
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Report)).first() is None


def test_the_results_desk_holds_offers_a_call_back_and_books_it(rt, alice):
    act(alice, "dial", phone=CHAIR)
    page = act(alice, "keys", digits="2")  # the results desk
    lines = heard(page)
    assert "(on hold in the queue hotline-chairs)" in lines
    assert any(line.startswith("Hotline: You are number 1 in line for the results desk.") for line in lines)
    assert "Keep holding" in page
    page = act(alice, "hold")
    assert heard(page)[-2].startswith("Hotline: You are number 1 in line")
    page = act(alice, "keys", digits="1")  # a call back instead: <Leave>, then the queue's action
    assert any("We will call you back at the number ending 0 1 4 2" in line for line in heard(page))
    page = act(alice, "keys", digits="1")
    assert any("You keep your place in line." in line for line in heard(page))
    assert heard(page)[-1] == "(the hotline hung up)"
    with rt.db.transaction() as uow:
        [item] = uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "callback_request")).scalars()
    assert item.phone == CHAIR


def test_a_call_from_another_number_and_a_message(rt, alice):
    act(alice, "dial", phone=CHAIR, other="515 555 9999")
    page = act(alice, "keys", digits="3")
    assert "Leave a message" in page
    page = act(alice, "record", message="yes")
    assert any("message" in line.lower() for line in heard(page)[-2:])
    with rt.db.transaction() as uow:
        [item] = uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "voicemail")).scalars()
    assert item.phone == "+15155559999"


def test_nothing_to_do_without_a_call_and_a_bad_number(rt, alice):
    resp = alice.post("/dev/phone/call/keys", data={"digits": "1"}, follow_redirects=True)
    assert "No call in progress" in resp.get_data(as_text=True)
    resp = alice.post("/dev/phone/call/dial", data={"phone": "", "other": "12"}, follow_redirects=True)
    assert "10-digit phone number" in resp.get_data(as_text=True)


def test_the_keypad_call_needs_a_sign_in_and_is_absent_in_production(rt, client, alice):
    assert client.get("/dev/phone/call").status_code in (302, 401)
    rt.config = replace(rt.config, env="production")
    assert alice.get("/dev/phone/call").status_code == 404
    assert alice.post("/dev/phone/call/dial", data={"phone": CHAIR}).status_code == 404
