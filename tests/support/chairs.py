"""Test helpers that speak the domain: chairs texting, staff reading the outbox."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from hotline.adapters.models import OutboundMessage
from hotline.runtime import Runtime
from hotline.services.records import roster as roster_service
from tests.support import roster as test_roster
from tests.support.roster import ROSTER
from tests.support.stack import ACCOUNT_SID, sign, twilio_sid, work


def load_roster(rt: Runtime, roster: str = ROSTER) -> None:
    """Load the test roster into the running stack (and drop this process's roster caches)."""
    with rt.db.transaction() as uow:
        test_roster.load(uow.session, roster)
    roster_service.forget_cached(rt.units)


@dataclass
class Phone:
    """A phone that texts the hotline through the real webhook and reads what comes back."""

    client: object
    rt: Runtime
    number: str
    account: str = ACCOUNT_SID

    def send(self, body: str, *, sid: str | None = None, media: list[str] | None = None,
             process: bool = True) -> int:
        form = {"MessageSid": sid or twilio_sid("SM"), "AccountSid": self.account, "From": self.number,
                "To": "+15155550100", "Body": body, "NumMedia": str(len(media or []))}
        for i, url in enumerate(media or []):
            form[f"MediaUrl{i}"] = url
        resp = self.client.post("/twilio/sms", data=form,  # type: ignore[attr-defined]
                                headers={"X-Twilio-Signature": sign("/twilio/sms", form)})
        if process:
            work(self.rt)
        return resp.status_code

    def inbox(self) -> list[OutboundMessage]:
        """Every text sent to this phone, oldest first."""
        with self.rt.db.transaction() as uow:
            return list(uow.session.execute(select(OutboundMessage).where(
                OutboundMessage.to_number == self.number).order_by(OutboundMessage.id)).scalars())

    def last(self) -> OutboundMessage:
        msgs = self.inbox()
        assert msgs, f"nothing was sent to {self.number}"
        return msgs[-1]

    def code(self) -> str:
        """The confirmation code from the newest text that carries one."""
        for msg in reversed(self.inbox()):
            m = re.search(r"YES (\d{4,6})", msg.body)
            if m:
                return m.group(1)
        raise AssertionError("no code was sent to this phone")


# Iowa City 5 (elects 4) with numbers of its own: a second precinct sending DSM-42's alignments
# is held back by the copy checks (identical-precinct), as a copied worksheet should be.
IC_5_FIRST = "first: Pete 30, Bernie 40, Warren 20, Biden 5"
IC_5_FINAL = "final: Pete 33, Bernie 42, Warren 20"
IC_5_DELEGATES = "delegates: Pete 1, Bernie 2, Warren 1"
IC_5_BAD_DELEGATES = "delegates: Pete 2, Bernie 1, Warren 1"  # the caucus math gives Bernie 2


def report(chair: Phone, *texts: str) -> None:
    """`chair` texts each of `texts` and confirms it with the code the read-back carries."""
    for text in texts:
        chair.send(text)
        chair.send(f"YES {chair.code()}")


FLAGGED_NIGHT = ("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30",
                 "final: Pete 55, Bernie 48, Warren 32",
                 "delegates: Pete 2, Bernie 3, Warren 2")  # the caucus math gives Pete 3, Bernie 2


def report_flagged(client: object, rt: Runtime, phone: str = "+15155550142") -> int:
    """A chair reports and confirms all three stages, the delegates wrong; the failed_check item's id."""
    from hotline.adapters.models import BacklogItem
    chair = Phone(client, rt, phone)
    for text in FLAGGED_NIGHT:
        chair.send(text)
        chair.send(f"YES {chair.code()}")
    with rt.db.transaction() as uow:
        return uow.session.execute(select(BacklogItem.id).where(BacklogItem.kind == "failed_check")).scalar_one()


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement `engine` sends inside the block, in order."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
