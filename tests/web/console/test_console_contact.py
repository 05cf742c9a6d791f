"""Reaching the chair: click-to-call (outbox or Twilio), the bridge TwiML, codes, texts, explain."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from hotline.adapters.models import LogEntry, OutboundMessage, Submission
from hotline.adapters.twilio_calls import make_caller
from hotline.domain.lifecycle import SubmissionStatus
from hotline_drill.twilio_standin import StandIn
from tests.support.stack import sign
from tests.web.console.staff import PASSWORD, flashes, open_item, signed_in


class CallsStandIn(StandIn):
    """The messages stand-in plus Twilio's Calls API, recording each call placed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, str]] = []

    def dispatch(self, request: Request) -> Response:
        if request.path.endswith("/Calls.json") and request.method == "POST":
            form = request.form.to_dict()
            self.calls.append(form)
            return Response('{"sid": "CA123", "status": "queued"}', status=201, mimetype="application/json")
        return super().dispatch(request)


def outbox(rt, kind: str) -> list[OutboundMessage]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(OutboundMessage).where(OutboundMessage.kind == kind)
                                        .order_by(OutboundMessage.id)).scalars())


@pytest.fixture
def held(rt, alice):
    item_id = open_item(rt)
    alice.post(f"/console/items/{item_id}/claim")
    return item_id


def test_call_without_twilio_goes_to_the_outbox(rt, alice, held):
    resp = alice.post(f"/console/items/{held}/call", data={"to": "+15155550142"}, follow_redirects=True)
    assert "went to the outbox" in " ".join(flashes(resp.get_data(as_text=True)))
    [call] = outbox(rt, "call")
    assert call.to_number == "+15155550142" and call.status == "outbox" and "alice" in call.body
    assert "+15155550142" in alice.text("/outbox")


def test_call_only_to_listed_numbers(rt, alice, held):
    resp = alice.post(f"/console/items/{held}/call", data={"to": "+19005550000"}, follow_redirects=True)
    assert "Pick one of the listed numbers" in resp.get_data(as_text=True)
    assert outbox(rt, "call") == []


def test_call_through_twilio_rings_staff_then_bridge_dials_chair(app, rt, alice, held):
    standin = CallsStandIn()
    base = standin.start()
    try:
        rt.config = replace(rt.config, twilio_account_sid="AC" + "1" * 32, twilio_from_numbers=("+15155550100",),
                            twilio_api_base_url=base)
        rt.caller = make_caller(rt.config)  # built once per process, from the settings it starts with
        resp = alice.post(f"/console/items/{held}/call", data={"to": "+15155550142"}, follow_redirects=True)
    finally:
        standin.stop()
    assert "Calling your phone (+15155550911)" in resp.get_data(as_text=True)
    [placed] = standin.calls
    assert placed["To"] == "+15155550911" and placed["From"] == "+15155550100"
    [call] = outbox(rt, "call")
    assert placed["Url"] == f"https://hotline.test/twilio/bridge/{call.id}" and call.twilio_sid == "CA123"
    path = f"/twilio/bridge/{call.id}"
    form = {"CallSid": "CA" + "123" * 10 + "ab", "AccountSid": "AC" + "1" * 32,  # as Twilio shapes them
            "From": "+15155550100", "To": "+15155550911"}
    assert app.test_client().post(path, data=form).status_code == 403   # unsigned: refused
    twiml = app.test_client().post(path, data=form, headers={"X-Twilio-Signature": sign(path, form)})
    root = ET.fromstring(twiml.get_data(as_text=True))
    assert root.find("Dial").text == "+15155550142"


def test_staff_without_a_phone_is_asked_for_one(rt, app, accounts):
    from hotline.services.console import accounts as staff
    with rt.db.transaction() as uow:
        staff.create_user(uow.session, "zoe", PASSWORD, "staff", actor="test")
    zoe = signed_in(app, "zoe")
    item_id = open_item(rt)
    zoe.post(f"/console/items/{item_id}/claim")
    assert 'id="my-phone"' in zoe.text(f"/console/items/{item_id}")
    resp = zoe.post(f"/console/items/{item_id}/call", data={"to": "+15155550142"}, follow_redirects=True)
    assert "Add your own phone number first" in resp.get_data(as_text=True)
    zoe.post("/console/me/phone", data={"phone": "515-555-0123", "back": f"/console/items/{item_id}"})
    assert "Call now" in zoe.text(f"/console/items/{item_id}")


def test_callback_code_sent_to_registered_phone_and_checked(rt, alice, held):
    alice.post(f"/console/items/{held}/code/send")
    [sms] = outbox(rt, "callback_code")
    assert sms.to_number == "+15155550142"
    code = sms.body.split(": ")[1].split(".")[0]
    wrong = "1000" if code != "1000" else "1001"
    resp = alice.post(f"/console/items/{held}/code/check", data={"code": wrong}, follow_redirects=True)
    assert "That code is wrong. 2 tries left." in resp.get_data(as_text=True)
    resp = alice.post(f"/console/items/{held}/code/check", data={"code": code}, follow_redirects=True)
    assert "Code is right" in resp.get_data(as_text=True)
    assert "Code read back correctly" in resp.get_data(as_text=True)
    with rt.db.transaction() as uow:
        checks = uow.session.execute(select(LogEntry).where(LogEntry.kind == "code_checked")
                                     .order_by(LogEntry.seq)).scalars().all()
        subs = uow.session.execute(select(Submission.status)).scalars().all()
    assert [(e.actor, e.detail["ok"]) for e in checks] == [("alice", False), ("alice", True)]
    assert subs == [SubmissionStatus.IDENTITY_VERIFIED]   # never a report, never publishable


def test_chair_texting_yes_with_a_callback_code_records_nothing(rt, client, alice, held):
    from tests.support.chairs import Phone
    alice.post(f"/console/items/{held}/code/send")
    code = outbox(rt, "callback_code")[0].body.split(": ")[1].split(".")[0]
    chair = Phone(client, rt, "+15155550142")
    chair.send(f"YES {code}")
    assert chair.last().kind == "nothing_pending"


def test_reply_by_sms(rt, alice, held):
    alice.post(f"/console/items/{held}/sms", data={"to": "+15155550142", "body": "Calling you in 5 min"})
    [sms] = outbox(rt, "staff_sms")
    assert sms.to_number == "+15155550142" and sms.body == "Calling you in 5 min"
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(LogEntry.kind == "staff_sms")).scalar_one()
    assert entry.actor == "alice" and entry.precinct_code == "DSM-42"


def test_explain_a_flagged_report(rt, client, alice):
    from tests.support.chairs import report_flagged
    item_id = report_flagged(client, rt)
    alice.post(f"/console/items/{item_id}/claim")
    assert 'id="explain-note"' in alice.text(f"/console/items/{item_id}")
    resp = alice.post(f"/console/items/{item_id}/explain", data={"note": "coin toss for the last delegate"},
                      follow_redirects=True)
    assert "Explained" in resp.get_data(as_text=True)
    assert client.get("/api/results").get_json()["precincts_reporting"] == 1
