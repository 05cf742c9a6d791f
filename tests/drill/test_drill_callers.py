"""The drill's voice chairs against the real app behind a real HTTP server: signed posts, real TwiML."""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from hotline.domain import ivr
from hotline_drill.callers import call
from hotline_drill.chairs import Plan
from hotline.adapters.models import Report, Submission
from hotline.runtime import Runtime
from hotline.services.records import roster
from hotline_drill.simulation import caucus_night
from tests.support.stack import TOKEN
from tests.support.chairs import ROSTER, load_roster

pytestmark = pytest.mark.timeout(30)

ERM = "ERM-42,Polk,Ermine 42,3,Eve Ross,+15155550342,2468,80\n"  # spelled 3 7 6 4 2, like DSM-42


@pytest.fixture
def server(app: Flask, rt: Runtime) -> Iterator[str]:
    """The test app on 127.0.0.1, signing checked against its own URL as the drill's cluster does."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{httpd.server_port}"
    rt.config = replace(rt.config, public_base_url=url)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield url
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def plan(precinct: str, phone: str, pin: str, seed: int = 7) -> Plan:
    return Plan(precinct=precinct, phone=phone, pin=pin, start=0.0, gaps=[0.0, 0.0], messy=False,
                correction=False, unregistered=None, seed=seed)


def planned(p: Plan, rt: Runtime, delegates: int) -> dict[str, dict[str, int]]:
    """The counts the plan's chair reports (the same night the texting chair would send)."""
    night = caucus_night(random.Random(p.seed), roster.candidates(rt.units), delegates)
    return {"first": night.first, "final": night.final, "delegates": night.delegates}


def current(rt: Runtime, code: str) -> dict[str, dict]:
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(Report).join(Submission).where(
            Report.status == "current", Submission.precinct.has(code=code))).scalars()
        return {r.stage: r.counts for r in rows}


def test_a_voice_chair_reports_all_three_stages(rt: Runtime, server: str, session: requests.Session) -> None:
    load_roster(rt)
    p = plan("DSM-42", "+15155550142", "4321")
    out = call(p, server, TOKEN, roster.candidates(rt.units), 7, time.time(), session=session)
    assert out.problems == []
    assert [c["stage"] for c in out.confirms] == ["first", "final", "delegates"]
    assert current(rt, "DSM-42") == planned(p, rt, 7)
    assert {c["stage"]: c["counts"] for c in out.confirms} == planned(p, rt, 7)
    assert all(c["phone"] == p.phone and c["yes_sent_at"] > 0 for c in out.confirms)
    n = len(roster.candidates(rt.units))
    # The call, menu, precinct, PIN, stage, one per candidate and the read-back, for each stage's
    # call; attendance once.
    assert len(out.webhook_ms) == 3 * (5 + n + 1) + 1
    assert all(ms > 0 for _, ms in out.webhook_ms) and out.last_sent >= out.confirms[-1]["yes_sent_at"]
    with rt.db.transaction() as uow:
        subs = uow.session.execute(select(Submission).order_by(Submission.id)).scalars().all()
        assert [(s.source, s.sender) for s in subs] == [("voice", p.phone)] * 3
        night = caucus_night(random.Random(p.seed), roster.candidates(rt.units), 7)
        assert subs[0].attendance == night.attendance


def test_shared_keys_are_settled_by_the_spoken_choice(rt: Runtime, server: str,
                                                      session: requests.Session) -> None:
    load_roster(rt, ROSTER + ERM)
    assert ivr.keypad_digits("ERM-42") == ivr.keypad_digits("DSM-42")
    p = plan("ERM-42", "+15155550342", "2468", seed=3)
    out = call(p, server, TOKEN, roster.candidates(rt.units), 3, time.time(), session=session)
    assert out.problems == []
    assert len(out.confirms) == 3
    assert current(rt, "ERM-42") == planned(p, rt, 3)
    assert current(rt, "DSM-42") == {}
    n = len(roster.candidates(rt.units))
    assert len(out.webhook_ms) == 3 * (5 + n + 1) + 1 + 3  # one choice per call


def test_a_wrong_pin_is_a_problem_not_an_exception(rt: Runtime, server: str,
                                                   session: requests.Session) -> None:
    load_roster(rt)
    out = call(plan("DSM-42", "+15155550142", "1111"), server, TOKEN, roster.candidates(rt.units), 7,
               time.time(), session=session)
    assert out.confirms == []
    assert len(out.problems) == 3  # each stage's call is abandoned at the PIN
    assert out.problems[0].startswith("DSM-42 first (voice): unexpected answer at pin:")
    assert "That PIN is not right for precinct D S M 42" in out.problems[0]
    assert current(rt, "DSM-42") == {}
