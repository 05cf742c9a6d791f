"""What a genuine Twilio webhook looks like: identifier shapes, required fields, media hosts."""
from __future__ import annotations

import pytest

from hotline.domain.twilio_request import (
    SMS,
    STATUS,
    VOICE,
    WRONG_ACCOUNT,
    media_url_ok,
    problem_in,
    split_media,
)

HEX = "0123456789abcdef" * 2
ACCOUNT = "AC" + HEX
SMS_FORM = {"MessageSid": ["SM" + HEX], "AccountSid": [ACCOUNT], "From": ["+15155550142"], "To": ["+15155550100"]}
CALL_FORM = {"CallSid": ["CA" + HEX], "AccountSid": [ACCOUNT], "From": ["+15155550142"], "To": ["+15155550100"]}


def test_real_shapes_pass():
    assert problem_in(SMS_FORM, SMS) is None
    assert problem_in({**SMS_FORM, "MessageSid": ["MM" + HEX], "SmsSid": ["MM" + HEX]}, SMS) is None
    assert problem_in({"MessageSid": ["SM" + HEX], "MessageStatus": ["delivered"], "AccountSid": [ACCOUNT]},
                      STATUS) is None
    assert problem_in(CALL_FORM, VOICE) is None
    assert problem_in({**CALL_FORM, "From": [""]}, VOICE) is None  # an anonymous caller
    assert problem_in({**CALL_FORM, "DequeingCallSid": ["CA" + HEX], "QueueSid": ["QU" + HEX]}, VOICE) is None


@pytest.mark.parametrize("sid", [
    "SM1", "SMforged", "SM" + HEX.upper(), "SM" + HEX + "0", "SM" + HEX[:-1], "CA" + HEX, "sm" + HEX,
    "SM" + HEX + "NumMedia0",  # the next field folded into the SID: same signature, "new" message
    "SM" + HEX[:-1] + "g", " SM" + HEX, "SM" + HEX + "\n", ""])
def test_message_sids_of_any_other_shape_are_refused(sid):
    assert problem_in({**SMS_FORM, "MessageSid": [sid]}, SMS) is not None


@pytest.mark.parametrize("name,value", [
    ("CallSid", "CA123"), ("CallSid", "SM" + HEX), ("AccountSid", "ACsimulator"), ("AccountSid", "AC" + HEX[:30]),
    ("DequeingCallSid", "CA1"), ("ParentCallSid", "CAx"), ("RecordingSid", "RE1"), ("QueueSid", "QU1")])
def test_call_identifiers_of_any_other_shape_are_refused(name, value):
    assert problem_in({**CALL_FORM, name: [value]}, VOICE) == f"{name} is not a Twilio {name}"


@pytest.mark.parametrize("kind,form,missing", [
    (SMS, SMS_FORM, "MessageSid"), (SMS, SMS_FORM, "AccountSid"), (SMS, SMS_FORM, "From"), (SMS, SMS_FORM, "To"),
    (VOICE, CALL_FORM, "CallSid"), (VOICE, CALL_FORM, "AccountSid"), (VOICE, CALL_FORM, "From"),
    (VOICE, CALL_FORM, "To")])
def test_fields_twilio_always_sends_are_required(kind, form, missing):
    assert problem_in({k: v for k, v in form.items() if k != missing}, kind) == f"{missing} is required"


def test_a_status_callback_needs_a_status_of_twilios_shape():
    base = {"MessageSid": ["SM" + HEX], "AccountSid": [ACCOUNT]}
    assert problem_in(base, STATUS) == "MessageStatus is required"
    assert problem_in({**base, "MessageStatus": ["delivered" * 5]}, STATUS) is not None
    assert problem_in({**base, "MessageStatus": ["<b>"]}, STATUS) is not None


def test_an_identifier_given_twice_is_refused():
    assert problem_in({**SMS_FORM, "MessageSid": ["SM" + HEX, "SM" + HEX[::-1]]}, SMS) is not None


def test_the_account_must_be_ours_when_configured():
    assert problem_in(SMS_FORM, SMS, ACCOUNT) is None
    assert problem_in(SMS_FORM, SMS, "AC" + "1" * 32) == WRONG_ACCOUNT
    assert problem_in(CALL_FORM, VOICE, "AC" + "1" * 32) == WRONG_ACCOUNT


def test_without_a_kind_only_present_identifiers_are_checked():
    assert problem_in({}, None) is None
    assert problem_in({"CallSid": ["CA123"]}, None) is not None
    assert problem_in({"AccountSid": [ACCOUNT]}, None, "AC" + "1" * 32) == WRONG_ACCOUNT


@pytest.mark.parametrize("url", [
    "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "https://api.twilio.com/media/ME2"])
def test_twilio_media_urls_are_accepted(url):
    assert media_url_ok(url)


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "http://api.twilio.com/media/ME1", "https://api.twilio.com.evil.example/x", "https://api.twilio.com@evil.example/",
    "https://evil.example/https://api.twilio.com/", "//api.twilio.com/x", "https://api.twilio.com:444/x",
    "https://api.twilio.com/x\" onerror=\"alert(1)", "https://api.twilio.com/ x", " https://api.twilio.com/x",
    "https://api.twilio.com/\\evil", "https://api.twilio.com/" + "a" * 2000, "", None, 42])
def test_anything_else_is_not(url):
    assert not media_url_ok(url)


def test_the_configured_stand_in_is_accepted_too():
    assert media_url_ok("http://127.0.0.1:8123/media/1", "http://127.0.0.1:8123")
    assert not media_url_ok("http://127.0.0.1:8124/media/1", "http://127.0.0.1:8123")
    assert not media_url_ok("http://127.0.0.1:8123@evil/media/1", "http://127.0.0.1:8123")
    assert split_media(["javascript:x", "https://api.twilio.com/m/1", "https://evil/"]) == (
        ["https://api.twilio.com/m/1"], 2)
