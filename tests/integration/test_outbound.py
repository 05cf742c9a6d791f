"""Outbound SMS through the real twilio client against a local stand-in, and status callbacks."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, OutboundMessage
from hotline.adapters.twilio_sms import SendError
from hotline.services.ops import delivery
from hotline.services.records import outbox
from hotline_drill.twilio_standin import StandIn
from tests.support.stack import sign, work
from workers import duties


def queue(rt, body="hello", to="+15155550142") -> int:
    with rt.units.begin() as uow:
        return outbox.queue_sms(uow, to, body, "test", priority=0)


def row(rt, msg_id) -> OutboundMessage:
    with rt.db.transaction() as uow:
        return uow.session.get(OutboundMessage, msg_id)


def test_without_twilio_messages_stay_in_the_outbox(rt):
    msg_id = queue(rt)
    work(rt)
    assert row(rt, msg_id).status == "outbox"


def test_with_twilio_the_real_client_sends_with_status_callback(twilio_rt, standin):
    msg_id = queue(twilio_rt)
    work(twilio_rt)
    sent = row(twilio_rt, msg_id)
    assert sent.status == "queued" and sent.twilio_sid.startswith("SM")
    assert standin.messages[0]["To"] == "+15155550142"
    assert standin.messages[0]["From"] == "+15155550100"
    assert standin.messages[0]["StatusCallback"] == "https://hotline.test/twilio/status"


def test_a_message_twilio_accepted_is_never_sent_again(twilio_rt, standin):
    from workers import duties
    msg_id = queue(twilio_rt)
    work(twilio_rt)
    assert row(twilio_rt, msg_id).status == "queued"  # Twilio's word for "accepted, sending soon"
    twilio_rt.redis.delete(f"rq:job:out-{msg_id}")  # its finished job has expired
    duties.sweep_once(twilio_rt, stale_seconds=0)
    work(twilio_rt)
    assert delivery.deliver(twilio_rt.units, twilio_rt.sender, twilio_rt.rate, msg_id) == "skipped"
    assert len(standin.messages) == 1


def test_the_stand_in_stamps_a_hung_create_when_it_arrived():
    # The drill's rate check counts each text at the stand-in's stamp: a create that hangs past
    # the client's timeout must count where its sender took the number's token, not seconds later.
    slow = StandIn(slow_rate=1.0, slow_seconds=0.5)
    url = slow.start()
    try:
        before = time.time()
        answer = requests.post(f"{url}/2010-04-01/Accounts/AC1/Messages.json", auth=("AC1", "token"),
                               data={"To": "+15155550142", "From": "+15155550100", "Body": "hi"}, timeout=5)
        assert answer.status_code == 201 and time.time() - before >= 0.5
        assert float(slow.messages[0]["sent_at"]) - before < 0.2
    finally:
        slow.stop()


def test_an_error_answer_is_tried_again_at_once_within_the_job(twilio_rt, standin):
    standin.failures.extend([(503, 20500), (429, 20429)])
    msg_id = queue(twilio_rt)
    work(twilio_rt)
    sent = row(twilio_rt, msg_id)
    assert sent.status == "queued" and sent.attempts == 3 and len(standin.messages) == 1


def test_an_error_that_persists_is_left_to_rqs_slower_retries(twilio_rt, standin):
    standin.failures.extend([(503, 20500)] * len(delivery.QUICK_RETRY_PAUSES + (None,)))
    msg_id = queue(twilio_rt)
    work(twilio_rt)  # every quick try fails; RQ schedules a retry (interval 1 s)
    assert row(twilio_rt, msg_id).status == "retrying" and standin.messages == []
    assert delivery.deliver(twilio_rt.units, twilio_rt.sender, twilio_rt.rate, msg_id) == "queued"  # the retry succeeds
    assert len(standin.messages) == 1


def test_a_timed_out_send_is_not_tried_again_at_once(twilio_rt, standin, monkeypatch):
    calls = []

    def timed_out(to, body, callback, route):  # what TwilioSender raises when the read times out
        calls.append(to)
        raise SendError("Read timed out. (read timeout=5)", code=None, retryable=True)

    monkeypatch.setattr(twilio_rt.sender, "send", timed_out)
    msg_id = queue(twilio_rt)
    with pytest.raises(SendError):
        delivery.deliver(twilio_rt.units, twilio_rt.sender, twilio_rt.rate, msg_id)
    assert len(calls) == 1 and row(twilio_rt, msg_id).status == "retrying"


def test_a_permanent_error_is_not_retried_and_goes_to_backlog(twilio_rt, standin):
    standin.failures.append((400, 21211))  # not a valid phone number
    msg_id = queue(twilio_rt)
    work(twilio_rt)
    failed = row(twilio_rt, msg_id)
    assert failed.status == "failed" and failed.error_code == "21211"
    with twilio_rt.db.transaction() as uow:
        item = uow.session.execute(select(BacklogItem)).scalar_one()
    assert item.kind == "delivery_failure"


def test_status_callbacks_move_forward_only(client, twilio_rt, standin):
    msg_id = queue(twilio_rt)
    work(twilio_rt)
    sid = row(twilio_rt, msg_id).twilio_sid
    for status in ("delivered", "sent"):  # out of order, as Twilio may deliver them
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32}
        resp = client.post("/twilio/status", data=form, headers={"X-Twilio-Signature": sign("/twilio/status", form)})
        assert resp.status_code == 204
    assert row(twilio_rt, msg_id).status == "delivered"


def test_undelivered_status_opens_a_backlog_item(client, twilio_rt):
    msg_id = queue(twilio_rt)
    work(twilio_rt)
    form = {"MessageSid": row(twilio_rt, msg_id).twilio_sid, "MessageStatus": "undelivered", "ErrorCode": "30003",
            "AccountSid": "AC" + "1" * 32}
    client.post("/twilio/status", data=form, headers={"X-Twilio-Signature": sign("/twilio/status", form)})
    with twilio_rt.db.transaction() as uow:
        assert uow.session.execute(select(BacklogItem.kind)).scalar_one() == "delivery_failure"


def test_unsigned_status_callback_is_rejected(client, rt):
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert client.post("/twilio/status", data=form).status_code == 403


def test_reconciliation_ingests_texts_whose_webhook_never_came(twilio_rt, standin):
    from hotline.adapters.models import InboundMessage
    from hotline.services.ops import reconcile
    from tests.support.chairs import load_roster
    load_roster(twilio_rt)
    import requests
    requests.post(f"{standin.url}/drill/inbound", timeout=5, data={
        "MessageSid": "SMlostwebhook1", "From": "+15155550142", "To": "+15155550100",
        "Body": "first: Biden 12, Pete 45"})
    assert reconcile.reconcile(twilio_rt.units, twilio_rt.sender) == 1
    assert reconcile.reconcile(twilio_rt.units, twilio_rt.sender) == 0  # already stored: not twice
    work(twilio_rt)
    with twilio_rt.db.transaction() as uow:
        msg = uow.session.execute(select(InboundMessage)).scalar_one()
    assert msg.sid == "SMlostwebhook1" and msg.outcome == "readback"
    # the chair got the read-back through Twilio, as if the webhook had arrived
    assert any(m["To"] == "+15155550142" and "read-back" in m["Body"] for m in standin.messages)


def claimed_long_ago(rt, msg_id, seconds: float = 120) -> None:
    """As a sender leaves a row when it is killed between claiming it and recording Twilio's answer."""
    with rt.db.transaction() as uow:
        msg = uow.session.get(OutboundMessage, msg_id)
        msg.status, msg.attempts = "sending", 1
        msg.claimed_at = msg.created_at = msg.created_at - timedelta(seconds=seconds)


def test_an_unfinished_send_twilio_has_is_recorded_not_sent_again(twilio_rt, standin):
    msg_id = queue(twilio_rt, body="DSM-42 read-back ... Reply YES 1234")
    sent = twilio_rt.sender.send("+15155550142", "DSM-42 read-back ... Reply YES 1234", None, "+15155550100")
    claimed_long_ago(twilio_rt, msg_id)
    counts = duties.sweep_once(twilio_rt)
    work(twilio_rt)
    assert counts["settled"] == 1
    assert row(twilio_rt, msg_id).twilio_sid == sent.sid and row(twilio_rt, msg_id).status == "sent"
    assert len(standin.messages) == 1


def test_an_unfinished_send_twilio_never_got_is_sent_once(twilio_rt, standin):
    msg_id = queue(twilio_rt, body="Recorded for DSM-42: first alignment.")
    claimed_long_ago(twilio_rt, msg_id)
    assert duties.sweep_once(twilio_rt)["settled"] == 1
    work(twilio_rt)
    assert duties.sweep_once(twilio_rt)["settled"] == 0
    work(twilio_rt)
    assert [m["Body"] for m in standin.messages] == ["Recorded for DSM-42: first alignment."]
    assert row(twilio_rt, msg_id).status == "queued" and row(twilio_rt, msg_id).attempts == 2


def test_a_send_in_progress_is_left_alone(twilio_rt, standin):
    msg_id = queue(twilio_rt)
    claimed_long_ago(twilio_rt, msg_id, seconds=2)  # within the client's timeout: still in flight
    assert duties.sweep_once(twilio_rt)["settled"] == 0
    assert row(twilio_rt, msg_id).status == "sending" and standin.messages == []


def test_without_twilio_an_unfinished_send_goes_to_the_outbox(rt):
    msg_id = queue(rt)
    claimed_long_ago(rt, msg_id)
    assert duties.sweep_once(rt)["settled"] == 1
    work(rt)
    assert row(rt, msg_id).status == "outbox"
