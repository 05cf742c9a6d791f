"""One text's request id (its MessageSid) in the webhook's, the SMS job's and the send job's log lines."""
from __future__ import annotations

import io
import json
import logging

from hotline.adapters import log_format
from hotline.adapters.queues import ALL_QUEUES, Q_MEDIA
from tests.support.chairs import Phone, load_roster
from tests.support.stack import twilio_sid
from workers.observed import ObservedWorker


class BurstObservedWorker(ObservedWorker):
    """The product's worker class, without the pub/sub channel whose thread takes a second to join."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def test_a_texts_request_id_follows_it_from_webhook_to_job_to_reply(rt, client):
    load_roster(rt)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(log_format.formatter("json"))
    handler.addFilter(log_format.RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("hotline", "workers")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    sid = twilio_sid("SM")
    try:
        Phone(client, rt, "+15155550142").send("HELP", sid=sid, process=False)
        worker = BurstObservedWorker([q for q in ALL_QUEUES if q != Q_MEDIA], connection=rt.redis)
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    ours = [line for line in lines if line["request_id"] == sid]
    said = " | ".join(line["message"] for line in ours)
    assert any(line["logger"] == "hotline.web.health" and "twilio_sms.inbound_sms" in line["message"]
               for line in ours), said  # the webhook
    assert any(line["logger"] == "hotline.services.sms.process" and line["message"].startswith("inbound ")
               for line in ours), said  # the SMS job
    assert any(line["logger"] == "workers.observed" and "send_message" in line["message"]
               for line in ours), said  # the send job that sent the reply
    assert Phone(client, rt, "+15155550142").last().body  # a reply was sent
