"""What handling one text needs: its transaction, the runtime, the message and its sender."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline.adapters.db import UnitOfWork
from hotline.adapters.models import InboundMessage, Precinct, utcnow
from hotline.domain.model import Candidate
from hotline.runtime import Runtime
from hotline.services.records import outbox


@dataclass
class Ctx:
    """What handling one text needs: the transaction, runtime, message and its sender."""

    uow: UnitOfWork
    rt: Runtime
    msg: InboundMessage
    candidates: list[Candidate]
    codes: frozenset[str]
    now: datetime = field(default_factory=utcnow)
    registered: list[Precinct] = field(default_factory=list)
    submission_id: int | None = None  # the report this text made or repeated; stored on its row

    def __post_init__(self) -> None:
        self.submission_id = self.msg.submission_id

    @property
    def phone(self) -> str:
        return self.msg.from_number

    def reply(self, body: str, kind: str, *, to: str | None = None, priority: int = 0,
              precinct: Precinct | None = None) -> None:
        outbox.queue_sms(self.uow, self.rt, to or self.phone, body, kind, priority=priority,
                           precinct_id=precinct.id if precinct else None, inbound_id=self.msg.id)
