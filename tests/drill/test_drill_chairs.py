"""The drill's texting chairs read their phones as people do: a copy of an answered read-back is skipped."""
from __future__ import annotations

import json

from redis import Redis

from hotline_drill.chairs import Texter


def deliver(redis: Redis, phone: str, body: str) -> None:
    # What the Twilio stand-in does with a text it accepted for one of the drill's phones.
    redis.rpush(f"drill:phone:{phone}", json.dumps({"To": phone, "Body": body}))


def test_a_late_copy_of_an_answered_readback_is_skipped_but_repeated_plain_texts_are_read(redis_server):
    redis = Redis.from_url(redis_server.url)
    redis.flushdb()
    phone = "+15155550142"
    texter = Texter("http://127.0.0.1:9", "token", redis_server.url)
    first = "DSM-42 read-back: First alignment: Biden 12. Correct? Reply YES 1234"
    recorded = "Recorded for DSM-42: first alignment. Still to send: final alignment, county delegates."
    final = "DSM-42 read-back: Final alignment: Biden 20. Correct? Reply YES 5678"
    for body in (first, recorded, first, final, recorded):
        deliver(redis, phone, body)
    assert texter.reply_with_code(phone) == ("1234", first)
    assert texter.reply(phone, timeout=1) == recorded
    assert texter.reply_with_code(phone) == ("5678", final)  # the late copy of the first is passed over
    assert texter.reply(phone, timeout=1) == recorded  # the same words for a corrected stage are new news
    assert texter.reply(phone, timeout=0.2) is None
