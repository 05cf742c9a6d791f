"""Any keys, in any order, at any step of a call: always TwiML, never a 5xx, nothing half-recorded."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotline.adapters.models import Precinct, Report, Submission
from tests.support.stack import sign
from tests.support.chairs import load_roster
from tests.web.voice.voicecall import Call

CALLERS = st.sampled_from(["+15155550142", "+15155559999", "", "anonymous", "+1" + "9" * 40])
# Mostly what a keypad sends, sometimes anything at all (a replayed or forged-but-signed form).
KEYS = st.one_of(st.text(alphabet="0123456789*#", max_size=8), st.sampled_from(["1", "37642", "4321", "0"]),
                 st.text(max_size=30))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(caller=CALLERS, presses=st.lists(KEYS, max_size=14))
def test_any_keys_at_any_step_get_twiml(client, rt, caller, presses):
    with rt.db.reading() as session:  # hypothesis reuses the fixture: load the roster once
        empty = session.scalar(select(Precinct.id).limit(1)) is None
    if empty:
        load_roster(rt)
    call = Call(client, caller)
    call.start()  # Call.post asserts a 200 with a <Response> document every time
    for keys in presses:
        if call.doc is None or call.doc.find("Gather") is None:
            break  # the call was handed to a queue, a recording or hung up
        call.press(keys)
    with rt.db.reading() as session:
        for sub in session.execute(select(Submission)).scalars():
            reports = session.execute(select(Report).where(Report.submission_id == sub.id)).scalars().all()
            assert reports, "a submission without its reports"  # nothing half-recorded


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=20),
       turn=st.text(max_size=6), digits=st.text(max_size=10))
def test_made_up_steps_and_turns_are_refused_cleanly(client, rt, step, turn, digits):
    url = f"/twilio/voice/{step}?turn={turn}"
    form = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15155550142",
            "To": "+15155550100", "Digits": digits}
    resp = client.post(url, data=form, headers={"X-Twilio-Signature": sign(url, form)})
    assert resp.status_code < 500
