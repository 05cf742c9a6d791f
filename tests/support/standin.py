"""Twilio's Messages API stood in for locally (the drill's stand-in), and a runtime that sends to
it through the real twilio client."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from hotline.runtime import Runtime, build
from hotline_drill.twilio_standin import StandIn
from workers.context import install


@pytest.fixture
def standin() -> Iterator[StandIn]:
    s = StandIn()
    s.url = s.start()  # type: ignore[attr-defined]
    yield s
    s.stop()


def live_runtime(rt: Runtime, standin: StandIn, **settings: Any) -> Iterator[Runtime]:
    """`rt` with a Twilio account whose API is the stand-in (and `settings` on top), installed as
    the jobs' runtime while it lasts."""
    cfg = replace(rt.config, twilio_account_sid="AC" + "1" * 32, twilio_from_numbers=("+15155550100",),
                  twilio_api_base_url=standin.url, **settings)  # type: ignore[attr-defined]
    live = build(cfg)
    install(live)
    yield live
    install(rt)
    live.close()


@pytest.fixture
def twilio_rt(rt: Runtime, standin: StandIn) -> Iterator[Runtime]:
    yield from live_runtime(rt, standin)
