"""The cached public answers' two shortcuts: the results version read at most once per TTL per
process, and the per-address limit counted in batches (each still holds)."""
from __future__ import annotations

import dataclasses

import pytest
from limits import parse

from hotline.services.results import public as results_public
from tests.support.chairs import Phone, load_roster, report

# The pages, not the database: their PostgreSQL variant adds nothing (tests/web/conftest.py).
pytestmark = pytest.mark.sqlite_only

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_change_in_the_results_shows_within_the_version_ttl(client, rt, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(results_public._cache, "version_ttl", 1.0)
    monkeypatch.setattr(results_public._cache, "_clock", clock)
    load_roster(rt)
    assert client.get("/api/results").get_json()["precincts_reporting"] == 0
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    clock.now += 0.9
    assert client.get("/api/results").get_json()["precincts_reporting"] == 0  # within the TTL: may be late
    clock.now += 0.1
    assert client.get("/api/results").get_json()["precincts_reporting"] == 1  # not later


def stats(app, address: str, limit: str):  # type: ignore[no-untyped-def]
    limiter = app.extensions["hotline_limiter"]
    return limiter.limiter.get_window_stats(parse(limit), "hotline-limits", address, "public")


def test_an_address_is_let_through_in_batches_that_reach_redis_within_the_report_interval(app, rt):
    rt.config = dataclasses.replace(rt.config, public_requests_per_minute=600)
    check = app.extensions["hotline_public_limit"]
    clock = Clock()
    check._clock, check._reported = clock, clock.now
    client = app.test_client()
    share = 600 // check.LOCAL_SHARE
    assert [client.get("/api/results").status_code for _ in range(share)] == [200] * share
    assert stats(app, "127.0.0.1", "600/minute").remaining == 600  # let through, not yet counted
    assert client.get("/results/live").status_code == 200  # the share is used up: counted at Redis now
    assert stats(app, "127.0.0.1", "600/minute").remaining == 600 - share - 1
    for _ in range(3):
        client.get("/api/results", environ_base={"REMOTE_ADDR": "10.2.2.2"})
    assert stats(app, "10.2.2.2", "600/minute").remaining == 600
    clock.now += check.REPORT_EVERY
    client.get("/api/results", environ_base={"REMOTE_ADDR": "10.3.3.3"})  # the next report: every address
    assert stats(app, "10.2.2.2", "600/minute").remaining == 597
    assert stats(app, "10.3.3.3", "600/minute").remaining == 599
    assert stats(app, "127.0.0.1", "600/minute").remaining == 600 - share - 1


@pytest.mark.parametrize("limit", [40, 100])
def test_batches_let_an_address_past_its_limit_by_at_most_one_share_then_it_is_refused(app, rt, limit):
    rt.config = dataclasses.replace(rt.config, public_requests_per_minute=limit)
    check = app.extensions["hotline_public_limit"]
    client = app.test_client()
    codes = [client.get("/api/results").status_code for _ in range(limit + 20)]
    served = codes.count(200)
    assert limit <= served <= limit + limit // check.LOCAL_SHARE
    assert codes[served:] == [429] * (limit + 20 - served)  # once refused, refused at every request
    resp = client.get("/results")
    assert resp.status_code == 429 and 1 <= int(resp.headers["Retry-After"]) <= 60
    assert client.get("/api/results", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
