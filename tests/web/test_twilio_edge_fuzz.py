"""Random forms, signed and unsigned, at every kind of Twilio webhook: never a 5xx, and an unsigned
request never writes a row."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hotline.adapters.models import CallEvent, InboundMessage, LogEntry
from tests.support.stack import ACCOUNT_SID, sign, twilio_sid

# The webhook's edge, not the database: its PostgreSQL variant adds nothing (tests/web/conftest.py).
pytestmark = pytest.mark.sqlite_only

PATHS = ["/twilio/sms", "/twilio/status", "/twilio/voice", "/twilio/voice/staff-line", "/twilio/voice/menu?t=1",
         "/twilio/voice/pin?t=3", "/twilio/voice/desk/wait?t=2", "/twilio/voice/desk/connect?t=2",
         "/twilio/voice/desk/left?t=2", "/twilio/voice/message/done?t=2", "/twilio/voice/message/transcript?t=2",
         "/twilio/voice/staff/done?t=4"]
NAMES = ["MessageSid", "SmsSid", "AccountSid", "CallSid", "DequeingCallSid", "From", "To", "Body", "Digits",
         "MessageStatus", "ErrorCode", "NumMedia", "MediaUrl0", "QueueTime", "QueueResult", "RecordingUrl",
         "TranscriptionText", "Extra"]
VALUES = st.one_of(
    st.text(max_size=60),
    st.builds(twilio_sid, st.sampled_from(["SM", "MM", "CA", "AC", "QU"])),
    st.builds(lambda sid, tail: sid + tail, st.builds(twilio_sid, st.sampled_from(["SM", "CA"])),
              st.sampled_from(["NumMedia0", "0", "", "CallStatusringing"])),  # folded fields
    st.sampled_from([ACCOUNT_SID, "+15155550142", "+15155550100", "delivered", "failed", "1", "javascript:x"]))
FORMS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=10)


def genuine(path: str) -> dict[str, str]:
    """The fields Twilio always sends on this kind of webhook, correctly shaped."""
    if path == "/twilio/sms":
        return {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "From": "+15155550142", "To": "+15155550100"}
    if path == "/twilio/status":
        return {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "MessageStatus": "delivered"}
    return {"CallSid": twilio_sid("CA"), "AccountSid": ACCOUNT_SID, "From": "+15155550142", "To": "+15155550100"}


def rows(rt) -> tuple[int, int, int]:
    with rt.db.transaction() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                     for m in (LogEntry, InboundMessage, CallEvent))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), form=FORMS, from_genuine=st.booleans(), signed=st.booleans(),
       forged=st.booleans())
def test_any_form_signed_or_not_gets_no_5xx_and_unsigned_ones_write_nothing(client, rt, path, form, from_genuine,
                                                                              signed, forged):
    if from_genuine:  # a real request with some fields changed, added or dropped
        form = {**genuine(path), **form}
    if signed:
        headers = {"X-Twilio-Signature": sign(path, form)}
    else:
        headers = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"} if forged else {}
    before = rows(rt)
    resp = client.post(path, data=form, headers=headers)
    event(f"{'signed' if signed else 'unsigned'} {resp.status_code}")
    assert resp.status_code < 500, (path, form, resp.status_code, resp.data[:200])
    if not signed:
        assert resp.status_code in (403, 429)
        assert rows(rt) == before
    elif resp.status_code in (400, 403):
        assert resp.mimetype == "text/plain" and len(resp.data) < 100
