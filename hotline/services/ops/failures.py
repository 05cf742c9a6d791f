"""Work the queue gave up on after every retry: it becomes a backlog item, never a silent drop."""
from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from hotline.adapters.models import InboundMessage, OutboundMessage
from hotline.domain.texts import redact
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, outbox, photos
from hotline.services.units import Units

logger = logging.getLogger(__name__)


def gave_up(units: Units, func_name: str, row_id: int | None, error: str) -> None:
    """Open a backlog item for the inbox, outbox or photo row whose job failed for good."""
    logger.error("job %s(%s) failed after all retries: %s", func_name, row_id, error)
    try:
        with units.begin() as uow:
            s = uow.session
            if func_name.endswith("process_inbound") and row_id is not None:
                msg = s.get(InboundMessage, row_id)
                phone = msg.from_number if msg else None
                backlog.open_item(s, "unparsed_text", phone=phone, dedupe_key=f"jobfail:in:{row_id}",
                                  summary=f"Text from {phone} could not be processed (system error); "
                                          "read it and answer the chair",
                                  detail={"inbound_id": row_id, "body": redact(msg.body) if msg else None,
                                          "error": error[:500]})
                if phone:
                    outbox.queue_sms(uow, phone, replies.SYSTEM_ERROR, "system_error", priority=0, inbound_id=row_id)
            elif func_name.endswith("send_message") and row_id is not None:
                out = s.get(OutboundMessage, row_id)
                backlog.open_item(s, "delivery_failure", phone=out.to_number if out else None,
                                  precinct_id=out.precinct_id if out else None,
                                  dedupe_key=f"jobfail:out:{row_id}",
                                  summary="A text could not be sent after several tries",
                                  detail={"outbound_id": row_id, "body": out.body if out else None,
                                          "error": error[:500]})
            elif func_name.endswith("fetch_photo") and row_id is not None:
                photos.give_up(uow, row_id, error)
            chain.record(s, "job_failed", job=func_name, row_id=row_id, error=error[:500])
    except SQLAlchemyError:
        # The database itself is the problem; the failed-job registry still holds the job.
        logger.exception("could not record the failed job %s(%s)", func_name, row_id)
