"""Phones that opted out of our texts: recording an opt-out or opt-in, and the chair staff must call.

An opt-out comes from the phone's own text (STOP and the other carrier keywords), from Twilio
refusing a send with error 21610, or from staff. Nothing is sent to an opted-out phone (the sender
suppresses it: `ops/delivery.py`). A chair's registered phone that opted out opens one "call this
chair" item, closed again when the phone opts back in. Runs inside the caller's transaction.
"""
from __future__ import annotations

import logging

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.adapters.models import PhoneOptOut, utcnow
from hotline.domain.texts import mask
from hotline.services.log import chain
from hotline.services.records import backlog, roster

logger = logging.getLogger(__name__)

TEXT, TWILIO_21610, STAFF = "text", "twilio_21610", "staff"
OPTED_OUT_CODE = "21610"  # Twilio: the recipient replied STOP (or another opt-out keyword)

BY_PHONE = select(PhoneOptOut).where(PhoneOptOut.phone == bindparam("phone"))
IS_OPTED_OUT = select(PhoneOptOut.opted_out).where(PhoneOptOut.phone == bindparam("phone"))


def item_key(phone: str) -> str:
    """The dedupe key of the one "call this chair" item per opted-out phone."""
    return f"opted_out:{phone}"


def is_opted_out(session: Session, phone: str) -> bool:
    return bool(session.execute(IS_OPTED_OUT, {"phone": phone}).scalar())


def record(session: Session, phone: str, opted_out: bool, source: str,
           inbound_id: int | None = None) -> None:
    """Store the phone's new state, log it, and open or close its chair's "call this chair" item."""
    _store(session, phone, opted_out, source, inbound_id)
    precincts = roster.precincts_for_phone(session, phone)
    codes = [p.code for p in precincts]
    kind = "opted_out" if opted_out else "opted_in"
    chain.record(session, kind, precinct=codes[0] if len(codes) == 1 else None, phone=phone,
                 source=source, registered=codes, inbound_id=inbound_id)
    if opted_out and precincts:
        first = precincts[0]
        how = "texted an opt-out word" if source == TEXT else (
            "Twilio reports it opted out (error 21610)" if source == TWILIO_21610 else "marked by staff")
        backlog.open_item(session, "opted_out", phone=phone, precinct_id=first.id,
                          dedupe_key=item_key(phone),
                          summary=f"Call this chair: the registered phone {phone} of {', '.join(codes)} "
                                  f"opted out of texts ({how}); nothing more can be texted to it",
                          detail={"precincts": codes, "source": source})
    elif not opted_out:
        backlog.auto_resolve(session, item_key(phone), "the phone opted back in to texts")
    logger.info("phone %s %s (%s)%s", mask(phone), kind.replace("_", " "), source,
                f" chair of {', '.join(codes)}" if codes else " not on the roster")


def _store(session: Session, phone: str, opted_out: bool, source: str, inbound_id: int | None) -> None:
    row = session.execute(BY_PHONE, {"phone": phone}).scalar_one_or_none()
    if row is None:
        try:
            with session.begin_nested():  # another process may be adding the same phone
                session.add(PhoneOptOut(phone=phone, opted_out=opted_out, source=source,
                                        inbound_id=inbound_id, changed_at=utcnow()))
            return
        except IntegrityError:
            row = session.execute(BY_PHONE, {"phone": phone}).scalar_one()
    row.opted_out, row.source, row.inbound_id, row.changed_at = opted_out, source, inbound_id, utcnow()
