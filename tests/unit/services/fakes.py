"""In-memory stand-ins for what use cases talk to: the database (SQLite in memory), the job queues
and Twilio's sender. No Redis, no network, no worker."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline.adapters.db import Database
from hotline.adapters.models import Base
from hotline.adapters.twilio_sms import Received, SendError, Sent
from hotline.config import Config
from hotline.services.units import Units
from tests.support import roster as test_roster



@dataclass
class FakeJobs:
    """Records what a use case queued, in order; queues nothing."""

    queued: list[tuple] = field(default_factory=list)

    def inbound(self, inbound_id: int, chairs_lane: bool = True, phone: str | None = None,
                revive: bool = False, fresh: bool = False) -> bool:
        self.queued.append(("inbound", inbound_id, chairs_lane))
        return True

    def send(self, outbound_id: int, priority: int, revive: bool = False, fresh: bool = False) -> bool:
        self.queued.append(("send", outbound_id, priority))
        return True

    def throttled(self, phone: str) -> bool:
        self.queued.append(("throttled", phone))
        return True

    def photo(self, photo_id: int, revive: bool = False, fresh: bool = False) -> bool:
        self.queued.append(("photo", photo_id))
        return True

    def results_changed(self) -> None:
        self.queued.append(("results_changed",))

    def kinds(self) -> list[str]:
        return [q[0] for q in self.queued]


@dataclass
class FakeSender:
    """Twilio's sender: answers each send from `answers` (a Sent, or a SendError to raise)."""

    answers: list[object] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    log: list[Sent] = field(default_factory=list)  # what find_sent may find
    inbound: list[Received] = field(default_factory=list)

    def routes(self) -> list[str]:
        return ["+15155550100"]

    def send(self, to: str, body: str, status_callback: str | None, route: str) -> Sent:
        answer = self.answers.pop(0) if self.answers else Sent(f"SM{len(self.sent):032d}", "queued")
        if isinstance(answer, SendError):
            raise answer
        self.sent.append((to, body))
        return answer  # type: ignore[return-value]

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        return self.log[0] if self.log else None

    def received_since(self, since: datetime) -> list[Received]:
        return list(self.inbound)


def memory_units(jobs: FakeJobs, **settings: object) -> Units:
    """Units on a fresh in-memory database with the schema, the test roster and its candidates."""
    config = Config(env="test", database_url="sqlite://", secret_key="unit-test-secret-key-0123",
                    **settings)  # type: ignore[arg-type]
    db = Database(config.database_url)
    Base.metadata.create_all(db.engine)
    units = Units(db, jobs, config)
    with units.begin() as uow:
        test_roster.load(uow.session)
    return units
