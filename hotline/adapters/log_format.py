"""How log lines look, and the request id that follows one text from webhook to job to reply.

`HOTLINE_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message,
request_id and any extras); the default stays the plain text format. The request id lives in a
context variable: the web sets it per request (the Twilio MessageSid or CallSid, else a uuid), a
job queued while it is set carries it in the job's meta, and the worker binds it again while that
job runs (workers/observed.py), so the send job that sends the reply logs the same id.
"""
from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import datetime, timezone
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
META_KEY = "request_id"  # in an RQ job's meta

_request_id: ContextVar[str | None] = ContextVar("hotline_request_id", default=None)
# Where the id comes from when none was bound yet: the web installs one that reads the webhook's
# MessageSid or CallSid once its form has been parsed (so refused requests are never parsed early).
_fallback: Callable[[], str | None] | None = None

# Attributes every LogRecord has: whatever else a record carries came from `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message", "asctime", "request_id", "taskName"}


def bind(request_id: str | None) -> Token[str | None]:
    """Make `request_id` this context's id; returns the token `reset` takes."""
    return _request_id.set(request_id)


def reset(token: Token[str | None]) -> None:
    _request_id.reset(token)


def set_fallback(find: Callable[[], str | None] | None) -> None:
    """Install how an id is found when none was bound (the web's: the webhook's Twilio sid)."""
    global _fallback
    _fallback = find


def current(create: bool = False) -> str | None:
    """This context's request id: the bound one, else the fallback's, else (if `create`) a new uuid."""
    rid = _request_id.get()
    if rid is None:
        rid = _fallback() if _fallback is not None else None
        if rid is None and create:
            rid = uuid.uuid4().hex
        if rid is not None:
            _request_id.set(rid)
    return rid


def job_meta() -> dict[str, str] | None:
    """The meta for a job queued now: the request id it carries on (None when there is none)."""
    rid = current()
    return {META_KEY: rid} if rid is not None else None


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record that passes the handler (None outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra that JSON cannot hold is written as its text, never dropped.
        return json.dumps(out, default=str, ensure_ascii=False)


def formatter(fmt: str) -> logging.Formatter:
    """The formatter for HOTLINE_LOG_FORMAT (`json` or `text`)."""
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Set up the root logger once per process, as logging.basicConfig did: a handler on stderr
    in the chosen format, with the request id filter. A root that already has handlers (a test
    runner's) is left alone."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
