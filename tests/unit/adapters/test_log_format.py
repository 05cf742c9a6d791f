"""HOTLINE_LOG_FORMAT=json: one JSON object per line, with the request id; text stays as it was."""
from __future__ import annotations

import io
import json
import logging

import pytest

from hotline.adapters import log_format


@pytest.fixture
def lines():
    """A logger whose lines go, as JSON, to a buffer; returns (logger, read) where read() parses them."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(log_format.JsonFormatter())
    handler.addFilter(log_format.RequestIdFilter())
    logger = logging.getLogger("hotline.test_log_format")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_json_line_has_time_level_logger_message_request_id_and_extras(lines):
    logger, read = lines
    token = log_format.bind("SM" + "a" * 32)
    try:
        logger.warning("send %s failed", 42, extra={"outbound_id": 42, "odd": object()})
    finally:
        log_format.reset(token)
    logger.info("outside")
    first, second = read()
    assert first["level"] == "WARNING" and first["logger"] == "hotline.test_log_format"
    assert first["message"] == "send 42 failed" and first["request_id"] == "SM" + "a" * 32
    assert first["outbound_id"] == 42 and first["odd"].startswith("<object")  # extras kept, as text if need be
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["request_id"] is None  # reset: the id does not leak into the next request


def test_an_exception_is_one_line_of_json(lines):
    logger, read = lines
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logger.exception("it broke")
    (line,) = read()
    assert "ValueError: bad" in line["exception"] and line["message"] == "it broke"


def test_jobs_queued_while_an_id_is_bound_carry_it_in_their_meta():
    assert log_format.job_meta() is None
    token = log_format.bind("CA" + "b" * 32)
    try:
        assert log_format.job_meta() == {log_format.META_KEY: "CA" + "b" * 32}
    finally:
        log_format.reset(token)


def test_the_fallback_names_the_id_once_and_it_sticks():
    found = iter(["first", "second"])
    log_format.set_fallback(lambda: next(found))
    token = log_format.bind(None)
    try:
        assert log_format.current() == "first" and log_format.current() == "first"
    finally:
        log_format.reset(token)
        log_format.set_fallback(None)
    assert log_format.current() is None
    assert len(log_format.current(create=True) or "") == 32


def test_the_text_format_is_the_plain_one():
    record = logging.LogRecord("hotline.x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    assert log_format.formatter("text").format(record).endswith(" INFO hotline.x: hello there")
    assert json.loads(log_format.formatter("json").format(record))["message"] == "hello there"
