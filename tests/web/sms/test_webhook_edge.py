"""The Twilio webhook edge: a refused request costs one Redis call and writes nothing that grows;
identifiers must have Twilio's shapes; the signed URL is PUBLIC_BASE_URL's in production; media
come only from Twilio's host."""
from __future__ import annotations

import io
import logging
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import render_template
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder, run_wsgi_app

from hotline.adapters import refusals
from hotline.adapters.models import InboundMessage, LogEntry
from hotline.adapters.queues import connect
from hotline.app import create_app
from hotline.runtime import build
from hotline.services.console.history import Event
from hotline.services.ops import traffic
from tests.support.chairs import Phone, load_roster
from tests.support.stack import ACCOUNT_SID, BASE, TOKEN, sign, twilio_sid
from workers import duties

FORGED = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}


def sms_form(**over: str) -> dict[str, str]:
    return {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "From": "+15155550142",
            "To": "+15155550100", "Body": "status", "NumMedia": "0", **over}


def post(client, path: str, form, *, signed: bool = True, source: str = "203.0.113.9", headers=None):
    extra = {"X-Twilio-Signature": sign(path, form)} if signed else (headers or {})
    return client.post(path, data=form, headers=extra, environ_base={"REMOTE_ADDR": source})


def rows(rt, model) -> int:
    with rt.db.transaction() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def db_bytes(rt) -> int:
    """The database's size on disk: the SQLite file and its write-ahead log, or PostgreSQL's."""
    url = rt.config.database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with rt.db.engine.connect() as conn:
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()


def counted(rt, hours: int = 2) -> Counter:
    """Refusals counted in Redis in the last `hours`, by (path, reason)."""
    total: Counter = Counter()
    for _hour, tally in refusals.hours(rt.redis, how_many=hours):
        total.update(tally.counts)
    return total


def not_near_a_minute_boundary() -> None:
    if time.time() % 60 > 55:  # per-minute counters: keep a short test inside one minute
        time.sleep(61 - time.time() % 60)


def test_a_thousand_forged_250kb_requests_leave_the_database_as_it_was(client, rt):
    """The finding: 400 such requests grew the database by 225 MB. Now: not one byte, no log row."""
    big = urlencode(sms_form(From="+1" + "5" * 250_000)).encode()  # a 250 KB From
    before = (db_bytes(rt), rows(rt, LogEntry), rows(rt, InboundMessage))
    statuses: Counter = Counter()
    started = time.perf_counter()
    for i in range(1000):
        resp = client.post("/twilio/sms", data=big, content_type="application/x-www-form-urlencoded",
                           headers=FORGED, environ_base={"REMOTE_ADDR": f"198.51.100.{i % 4}"})
        statuses[resp.status_code] += 1
    seconds = time.perf_counter() - started
    after = (db_bytes(rt), rows(rt, LogEntry), rows(rt, InboundMessage))
    assert after == before, (before, after)
    assert set(statuses) <= {413, 429} and statuses[413] >= 4 * rt.config.rejected_per_source_per_minute
    # Redis holds fixed-size counters, not the requests.
    keys = list(rt.redis.scan_iter(f"{refusals.PREFIX}:*"))
    assert len(keys) <= 10
    redis_bytes = sum(rt.redis.memory_usage(k) or 0 for k in keys)
    assert redis_bytes < 16_384
    print(f"\n1,000 forged 250 KB requests: statuses {dict(statuses)}, database {before[0]} -> {after[0]} bytes, "
          f"log rows {before[1]} -> {after[1]}, Redis {len(keys)} keys / {redis_bytes} bytes, {seconds:.2f} s")


def test_a_thousand_short_forged_requests_make_no_log_rows(client, rt):
    form = sms_form()
    before = (db_bytes(rt), rows(rt, LogEntry))
    statuses = Counter(post(client, "/twilio/sms", form, signed=False, headers=FORGED if i % 2 else {},
                            source=f"192.0.2.{i % 10}").status_code for i in range(1000))
    assert (db_bytes(rt), rows(rt, LogEntry)) == before
    assert set(statuses) <= {403, 429} and statuses[403] >= 10 * rt.config.rejected_per_source_per_minute


def test_an_address_that_keeps_failing_is_throttled_but_signed_requests_never_are(client, rt):
    rt.config = replace(rt.config, rejected_per_source_per_minute=5)
    not_near_a_minute_boundary()
    form = sms_form()
    answers = [post(client, "/twilio/sms", form, signed=False, headers=FORGED).status_code for _ in range(5)]
    assert answers == [403] * 5
    throttled = post(client, "/twilio/sms", form, signed=False, headers=FORGED)
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert post(client, "/twilio/sms", sms_form()).status_code == 200  # Twilio, from the same address
    assert post(client, "/twilio/sms", form, signed=False, source="203.0.113.10").status_code == 403
    assert counted(rt) == {("/twilio/sms", "forged"): 5, ("/twilio/sms", "throttled"): 1,
                           ("/twilio/sms", "missing"): 1}


def test_oversized_bodies_are_refused_before_they_are_read(client, rt):
    form = sms_form(Body="x" * (rt.config.webhook_max_bytes + 1))
    resp = post(client, "/twilio/sms", form)  # signed or not: never read
    assert resp.status_code == 413 and resp.mimetype == "text/plain"
    assert post(client, "/twilio/voice", {"CallSid": "CA" + "0" * 32, "Digits": "1" * 40_000}).status_code == 413
    assert rows(rt, InboundMessage) == 0
    assert counted(rt)[("/twilio/sms", "too-large")] == 1


@pytest.mark.parametrize("size,skip", [(40_000, False), (10_000_000, False), (40_000, True)])
def test_a_chunked_body_without_a_length_is_cut_off_too(app, rt, size, skip):
    """A server that de-chunks (gunicorn) passes no Content-Length: reading stops at the limit."""
    rt.config = replace(rt.config, dev_skip_twilio_signature=skip)
    form = sms_form(Body="x" * size)
    env = EnvironBuilder(path="/twilio/sms", method="POST",
                         headers={"X-Twilio-Signature": sign("/twilio/sms", form)}).get_environ()
    env.pop("CONTENT_LENGTH", None)
    env.update({"CONTENT_TYPE": "application/x-www-form-urlencoded", "wsgi.input_terminated": True,
                "wsgi.input": io.BytesIO(urlencode(form).encode()), "HTTP_TRANSFER_ENCODING": "chunked"})
    body, status, _headers = run_wsgi_app(app, env, buffered=True)
    assert status.startswith("413") and b"".join(body) == b"request too large"
    assert rows(rt, InboundMessage) == 0


def test_when_redis_is_down_a_forged_request_still_gets_403(client, rt, caplog):
    rt.redis.close()
    rt.redis = connect("redis://127.0.0.1:1/0")  # nothing listens there
    refusals._quiet.last = -1e9  # the warning is once a minute per process: let this one through
    before = rows(rt, LogEntry)
    with caplog.at_level(logging.WARNING):
        assert post(client, "/twilio/sms", sms_form(), signed=False, headers=FORGED).status_code == 403
        assert post(client, "/twilio/sms", sms_form(), signed=False).status_code == 403
        assert post(client, "/twilio/status", {"MessageSid": "x"}, signed=False).status_code == 403
        assert post(client, "/twilio/sms", sms_form(Body="x" * 40_000), signed=False).status_code == 413
    assert rows(rt, LogEntry) == before
    assert "refusals not counted" in caplog.text


def test_the_minute_summary_is_logged_once_with_counts_and_top_sources(client, rt):
    not_near_a_minute_boundary()
    t0 = time.time()
    for _ in range(3):
        post(client, "/twilio/sms", sms_form(), signed=False, headers=FORGED, source="198.51.100.1")
    for _ in range(2):
        post(client, "/twilio/voice/menu?t=1", {"CallSid": "CA" + "1" * 32}, signed=False, source="198.51.100.2")
    post(client, "/twilio/sms", sms_form(MessageSid="SM1"), source="198.51.100.3")  # signed, not Twilio's shape
    assert rows(rt, LogEntry) == 0
    after_it = (refusals.minute_of(t0) + 1) * 60 + 1
    assert traffic.log_last_minute(rt.units, rt.redis, now=after_it) == 6
    assert traffic.log_last_minute(rt.units, rt.redis, now=after_it) == 0  # once
    assert traffic.log_last_minute(rt.units, rt.redis, now=after_it + 60) == 0  # a quiet minute: nothing
    with rt.db.transaction() as uow:
        [entry] = uow.session.execute(select(LogEntry)).scalars()
    assert entry.kind == "webhooks_rejected" and entry.phone is None
    assert entry.detail["total"] == 6
    assert entry.detail["counts"] == {"/twilio/sms": {"forged": 3, "bad-request": 1},
                                      "/twilio/voice/menu": {"missing": 2}}
    assert entry.detail["top_sources"] == [["198.51.100.1", 3], ["198.51.100.2", 2], ["198.51.100.3", 1]]
    assert "log-refusals" in duties.BY_NAME
    assert duties.BY_NAME["log-refusals"].run(rt, None) == 0  # the minute before now had none


def test_a_signed_request_refolded_into_a_new_sid_is_refused(client, rt):
    """Twilio signs names and values run together: `MessageSid=SM…NumMedia0` without NumMedia
    carries the same signature. The SID's shape gives it away."""
    load_roster(rt)
    sid = twilio_sid()
    form = {"AccountSid": ACCOUNT_SID, "Body": "status", "From": "+15155550142", "MessageSid": sid,
            "NumMedia": "0", "NumSegments": "1", "To": "+15155550100"}
    signature = sign("/twilio/sms", form)
    assert client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    folded = {k: v for k, v in form.items() if k != "NumMedia"} | {"MessageSid": sid + "NumMedia0"}
    assert RequestValidator(TOKEN).validate(f"{BASE}/twilio/sms", folded, signature)  # the attack is real
    resp = client.post("/twilio/sms", data=folded, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 400 and resp.get_data(as_text=True) == "MessageSid is not a Twilio MessageSid"
    assert rows(rt, InboundMessage) == 1
    assert counted(rt)[("/twilio/sms", "bad-request")] == 1


def test_a_signed_call_refolded_into_a_new_call_sid_is_refused(client, rt):
    call = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": twilio_sid("CA"),
            "CallStatus": "ringing", "From": "+15155550142", "To": "+15155550100"}
    signature = sign("/twilio/voice", call)
    folded = {k: v for k, v in call.items() if k != "CallStatus"} | {"CallSid": call["CallSid"] + "CallStatusringing"}
    assert RequestValidator(TOKEN).validate(f"{BASE}/twilio/voice", folded, signature)
    resp = client.post("/twilio/voice", data=folded, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 400 and b"CallSid" in resp.data


@pytest.mark.parametrize("path,form,reason", [
    ("/twilio/sms", {"MessageSid": "SM1", "AccountSid": ACCOUNT_SID, "From": "+15155550142", "To": "+1"},
     "MessageSid is not a Twilio MessageSid"),
    ("/twilio/sms", {"MessageSid": "SM" + "a" * 32, "From": "+15155550142", "To": "+1"}, "AccountSid is required"),
    ("/twilio/sms", {"MessageSid": "SM" + "a" * 32, "AccountSid": ACCOUNT_SID, "To": "+1"}, "From is required"),
    ("/twilio/sms", {"MessageSid": "SM" + "a" * 32, "AccountSid": "ACsimulator", "From": "+1", "To": "+1"},
     "AccountSid is not a Twilio AccountSid"),
    ("/twilio/status", {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}, "AccountSid is required"),
    ("/twilio/status", {"MessageSid": "SMx", "MessageStatus": "sent", "AccountSid": ACCOUNT_SID},
     "MessageSid is not a Twilio MessageSid"),
    ("/twilio/voice", {"CallSid": "CA" + "a" * 32, "AccountSid": ACCOUNT_SID, "From": "+1"}, "To is required"),
    ("/twilio/voice/desk/connect?t=1", {"CallSid": "CA" + "a" * 32, "AccountSid": ACCOUNT_SID, "From": "+1",
                                        "To": "+1", "DequeingCallSid": "CAstaff"},
     "DequeingCallSid is not a Twilio DequeingCallSid"),
    ("/twilio/voice/message/transcript?t=1", {"TranscriptionText": "hi"}, "CallSid is required"),
])
def test_webhooks_not_shaped_as_twilios_get_400_with_a_short_reason(client, rt, path, form, reason):
    resp = post(client, path, form)
    assert (resp.status_code, resp.get_data(as_text=True), resp.mimetype) == (400, reason, "text/plain")
    assert rows(rt, LogEntry) == 0


def test_with_signatures_switched_off_locally_the_shapes_are_still_checked(client, rt):
    rt.config = replace(rt.config, dev_skip_twilio_signature=True)
    assert post(client, "/twilio/sms", sms_form(MessageSid="SMlocal"), signed=False).status_code == 400
    assert post(client, "/twilio/sms", sms_form(), signed=False).status_code == 200


def test_another_accounts_webhooks_are_refused(client, rt):
    ours = "AC" + "1" * 32
    rt.config = replace(rt.config, twilio_account_sid=ours, twilio_from_numbers=("+15155550100",))
    resp = post(client, "/twilio/sms", sms_form())  # signed, well shaped, the wrong account
    assert resp.status_code == 403 and resp.get_data(as_text=True) == "AccountSid is not this hotline's account"
    call = {"CallSid": twilio_sid("CA"), "AccountSid": ACCOUNT_SID, "From": "+15155550142", "To": "+15155550100"}
    assert post(client, "/twilio/voice", call).status_code == 403
    assert post(client, "/twilio/sms", sms_form(AccountSid=ours)).status_code == 200
    assert rows(rt, InboundMessage) == 1


def test_in_production_only_the_public_base_url_is_signed(config):
    """Without PUBLIC_BASE_URL the signed URL came from the Host header, which the sender picks."""
    prod = replace(config, env="production", public_base_url="https://hotline.example.org",
                   log_signing_key_file=config.instance_path / "log-signing-key.pem")
    runtime = build(prod)
    try:
        client = create_app(runtime=runtime).test_client()
        form = sms_form()
        evil = "https://evil.example/twilio/sms"
        resp = client.post("/twilio/sms", data=form, base_url="https://evil.example",
                           headers={"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(evil, form),
                                    "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
        assert resp.status_code == 403
        good = RequestValidator(TOKEN).compute_signature("https://hotline.example.org/twilio/sms", form)
        resp = client.post("/twilio/sms", data=form, base_url="https://evil.example",
                           headers={"X-Twilio-Signature": good})
        assert resp.status_code == 200
    finally:
        runtime.close()


def test_outside_production_the_request_url_is_the_fallback(rt, app):
    rt.config = replace(rt.config, public_base_url=None)
    form = sms_form()
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/twilio/sms", form)
    assert app.test_client().post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200


def test_media_from_anywhere_but_twilio_is_dropped_and_noted(client, rt, caplog):
    load_roster(rt)
    good = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0"
    with caplog.at_level(logging.WARNING):
        Phone(client, rt, "+15155550142").send("status", media=["javascript:alert(1)", good,
                                                                "https://evil.example/x.jpg"])
    with rt.db.transaction() as uow:
        msg = uow.session.execute(select(InboundMessage)).scalar_one()
    assert msg.media_urls == [good] and msg.raw["RefusedMedia"] == ["2"]
    assert "dropped 2 media URL(s)" in caplog.text


def test_photos_are_shown_as_our_copies_never_as_media_urls(app):
    from datetime import datetime, timezone

    from hotline.services.records.photos import PhotoView
    at = datetime(2020, 2, 3, 20, 0, tzinfo=timezone.utc)
    stored = PhotoView(1, "DSM-42", 7, None, "stored", "ab" * 32, "image/jpeg", 1234, at, None)
    arriving = PhotoView(2, "DSM-42", 7, None, "pending", None, None, None, at, None)
    refused = PhotoView(3, "DSM-42", 7, None, "refused", None, None, None, at, "not a picture (text/html)")
    event = Event(at=at, direction="in", phone="+15155550142", kind="sms", text="hi", media=4,
                  photos=(stored, arriving, refused))
    with app.test_request_context("/"):
        thread = render_template("console/_thread.html", events=[event])
        facts = render_template("console/_facts.html", precinct=None, item=None,
                                photos=[stored, arriving, refused])
    for html in (thread, facts):
        assert f'href="/console/photos/{"ab" * 32}"' in html
        assert "photo arriving" in html and "photo refused: not a picture (text/html)" in html
        assert "http" not in html  # no URL of Twilio's, nor anybody else's
    assert f'src="/console/photos/{"ab" * 32}"' in facts
    assert "1 photo(s) not kept" in thread
