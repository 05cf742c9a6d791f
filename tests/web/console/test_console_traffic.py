"""Administration: the refused-traffic page, and media links in the console."""
from __future__ import annotations

import html
import re

from hotline.adapters import refusals
from hotline.adapters.queues import connect
from tests.support.chairs import Phone
from tests.support.stack import ACCOUNT_SID, twilio_sid
from tests.web.console.staff import open_item


def test_the_traffic_page_shows_refusals_by_path_reason_and_source(rt, client, carol, alice):
    form = {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "From": "+15155550142", "To": "+15155550100"}
    for _ in range(3):
        client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"},
                    environ_base={"REMOTE_ADDR": "198.51.100.77"})
    client.post("/twilio/voice", data={}, environ_base={"REMOTE_ADDR": "198.51.100.78"})
    refusals.count(rt.redis, "/login", "throttled", "198.51.100.79")  # another throttle counts here too
    page = carol.text("/admin/traffic")
    rows = [re.sub(r"<[^>]+>", " ", r).split() for r in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL)]
    assert ["/twilio/sms", "forged", "3"] in rows
    assert ["/twilio/voice", "missing", "1"] in rows and ["/login", "throttled", "1"] in rows
    assert ["198.51.100.77", "3"] in rows and ["198.51.100.78", "1"] in rows
    assert 'href="/admin/traffic"' in carol.text("/admin/")  # in the admin navigation
    assert alice.get("/admin/traffic").status_code == 403  # administrators only


def test_the_traffic_page_says_when_redis_is_down(rt, carol):
    assert "Nothing was refused" in carol.text("/admin/traffic")
    rt.redis.close()
    rt.redis = connect("redis://127.0.0.1:1/0")
    resp = carol.get("/admin/traffic")
    assert resp.status_code == 200 and "Redis is unreachable" in resp.get_data(as_text=True)


def test_no_media_url_is_ever_linked_on_the_item_page(rt, client, alice):
    good = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0"
    chair = Phone(client, rt, "+15155550142")
    chair.send("first: Biden 12, Pete 45, Warren 30", media=["javascript:alert(document.cookie)", good])
    chair.send(f"YES {chair.code()}")
    page = html.unescape(alice.text(f"/console/items/{open_item(rt)}"))
    # Staff see our stored copy (here still downloading), never Twilio's URL, let alone another.
    assert good not in page and "api.twilio.com" not in page and "photo arriving" in page
    assert "javascript:" not in page
