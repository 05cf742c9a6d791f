"""Bad input at the SMS webhook: never a 5xx, never a crash, every stored text handled."""
from __future__ import annotations

import string
from dataclasses import replace

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hotline.adapters.models import InboundMessage, OutboundMessage, Precinct
from hotline.domain import opt_out
from hotline.services.records import opt_outs
from tests.support.stack import ACCOUNT_SID, sign, twilio_sid, work
from tests.support.chairs import load_roster

# Any text, or (often enough to get past the checks) a value of the shape Twilio sends.
VALUES = st.one_of(st.text(max_size=300), st.builds(twilio_sid, st.sampled_from(["SM", "MM", "AC", "CA"])),
                   st.just(ACCOUNT_SID), st.sampled_from(["+15155550142", "+15155550100"]))
FIELDS = st.dictionaries(
    st.sampled_from(["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "SmsSid",
                     "Extra"]),
    VALUES, max_size=9)


def post_signed(client, form):
    return client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": sign("/twilio/sms", form)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=FIELDS)
def test_any_signed_form_gets_a_clean_answer_and_the_worker_survives(client, rt, form):
    rt.config = replace(rt.config, unknown_processing_per_second=10**6)  # no pacing: handle all now
    resp = post_signed(client, form)
    assert resp.status_code in (200, 400)
    if resp.status_code == 400:
        assert resp.mimetype == "text/plain" and len(resp.data) < 100  # a short reason
    work(rt)  # the job for whatever was stored must not crash the worker
    with rt.db.transaction() as uow:
        left = uow.session.scalar(select(func.count()).select_from(InboundMessage).where(
            InboundMessage.processed_at.is_(None), InboundMessage.from_number.not_like("+%")))
    assert left == 0 or left is None


def test_oversized_body_is_refused_before_storage(client, rt):
    form = {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "From": "+15155550142",
            "To": "+15155550100", "Body": "x" * 300_000}
    resp = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": sign("/twilio/sms", form)})
    assert resp.status_code == 413  # refused before it is read, signed or not
    with rt.db.transaction() as uow:
        assert not uow.session.scalar(select(func.count()).select_from(InboundMessage))


def test_non_utf8_and_control_characters(client, rt):
    load_roster(rt)
    sid = twilio_sid("SM", "binary")
    raw = (f"MessageSid={sid}&AccountSid={ACCOUNT_SID}&From=%2B15155550142&To=%2B15155550100&".encode()
           + b"Body=first%3A+Biden+%FF%FE12%00%07")
    form = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": "+15155550142", "To": "+15155550100",
            "Body": "first: Biden \ufffd\ufffd12\x00\x07"}
    resp = client.post("/twilio/sms", data=raw, content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": sign("/twilio/sms", form)})
    assert resp.status_code in (200, 403)  # never a 500, whatever the decoder made of it
    work(rt)


def test_wrong_content_type_is_rejected_cleanly(client, rt):
    resp = client.post("/twilio/sms", data='{"From": "+15155550142"}', content_type="application/json",
                       headers={"X-Twilio-Signature": "x"})
    assert resp.status_code == 403


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet=string.printable + "éü✓😀\u0000", max_size=400))
@example(body="\x00")  # PostgreSQL text cannot hold NUL: it once made this a 500
def test_registered_chair_texting_anything_gets_exactly_one_answer(client, rt, body):
    with rt.db.transaction() as uow:  # hypothesis reuses the fixture: load the roster once
        empty = not uow.session.scalar(select(func.count()).select_from(Precinct))
    if empty:
        load_roster(rt)
    with rt.db.transaction() as uow:
        before = uow.session.scalar(select(func.count()).select_from(OutboundMessage))
    form = {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "From": "+15155550107",
            "To": "+15155550100", "Body": body}
    assert post_signed(client, form).status_code == 200
    work(rt)
    with rt.db.transaction() as uow:
        after = uow.session.scalar(select(func.count()).select_from(OutboundMessage))
    if opt_out.change(body) == opt_out.OUT:
        # STOP and kin opt the phone out: nothing more is sent to it (Twilio answers STOP itself).
        assert after == before
        with rt.units.begin() as uow:
            opt_outs.record(uow.session, "+15155550107", False, opt_outs.TEXT)  # back in, for the next example
        return
    assert after - before >= 1  # every text from a chair gets an answer (a code may add one more)
