"""The durable inbox: every Twilio request is written here (or to the spool) before we answer."""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

from redis import Redis
from sqlalchemy import Select, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from hotline.adapters.models import ChairPhone, InboundMessage, utcnow
from hotline.domain.texts import no_nul, storable
from hotline.domain.twilio_request import split_media
from hotline.services.units import Units

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    inbound_id: int | None
    duplicate: bool = False
    spooled: bool = False


def _values(channel: str, sid: str, raw: Mapping[str, list[str]], received_at: datetime,
            throttled: bool = False, media_base: str | None = None) -> dict[str, Any]:
    """The inbox row's columns for one request.

    Media are kept only from Twilio's media host (`media_base`: also the configured stand-in of
    tests and drills); any other URL (`javascript:`, another host) is dropped, and how many were
    is noted in `raw` as RefusedMedia.
    """
    raw, sid = storable(raw), no_nul(sid)  # here, so spooled and parked requests are cleaned too
    first = {k: (v[0] if v else "") for k, v in raw.items()}
    offered = [first[f"MediaUrl{i}"] for i in range(_int(first.get("NumMedia"))) if first.get(f"MediaUrl{i}")]
    media, refused = split_media(offered, media_base)
    if refused:
        logger.warning("dropped %d media URL(s) not on Twilio's media host from text %s", refused, sid[:64])
        raw = {**raw, "RefusedMedia": [str(refused)]}
    # Column sizes hold any real Twilio value; anything longer is kept whole in `raw` only.
    # A throttled text is kept, visible to staff, but not acted on: its number is over its
    # hourly allowance.
    return {"sid": sid, "channel": channel, "from_number": first.get("From", "")[:32],
            "to_number": first.get("To", "")[:32], "body": first.get("Body", ""), "media_urls": media,
            "raw": dict(raw), "received_at": received_at, "outcome": "throttled" if throttled else None,
            "processed_at": received_at if throttled else None}


def _row(channel: str, sid: str, raw: Mapping[str, list[str]], received_at: datetime,
         throttled: bool = False, media_base: str | None = None) -> InboundMessage:
    return InboundMessage(**_values(channel, sid, raw, received_at, throttled, media_base))


INBOX_INSERT = insert(InboundMessage.__table__).returning(InboundMessage.__table__.c.id)


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 10))
    except ValueError:
        return 0


def store(units: Units, channel: str, sid: str, raw: Mapping[str, list[str]]) -> Stored:
    """Insert the request keyed by its Twilio SID; spool it to disk if the database is down."""
    received_at = utcnow()
    sid = no_nul(sid)  # the duplicate lookup must use the sid as stored
    try:
        values = _values(channel, sid, raw, received_at, media_base=units.config.twilio_api_base_url)
        with units.begin() as uow:
            # A plain INSERT ... RETURNING: every webhook runs it, and the ORM's flush of one
            # new row cost more than the insert itself.
            return Stored(uow.session.execute(INBOX_INSERT, values).scalar_one())
    except IntegrityError:  # a retry of a webhook already stored: read its row, take no write lock
        with units.reading() as session:
            existing = session.execute(select(InboundMessage.id).where(InboundMessage.sid == sid)).scalar_one()
        return Stored(existing, duplicate=True)
    except OperationalError as exc:
        logger.error("database unavailable, spooling %s: %s", sid, exc)
        spool(units, {"channel": channel, "sid": sid, "raw": dict(raw), "received_at": received_at.isoformat()})
        return Stored(None, spooled=True)


def spool_dir(units: Units) -> Path:
    """Where this host keeps requests that came while the database was down."""
    return units.config.instance_path / "spool"


def spool(units: Units, record: dict[str, Any]) -> None:
    """Write one request to the spool directory durably (write, fsync, rename)."""
    folder = spool_dir(units)
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in record["sid"] if c.isalnum() or c in "-_")[:64] or "nosid"
    tmp = folder / f".{safe}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / f"{safe}.json")


def flush_spool(units: Units) -> int:
    """Move spooled requests into the database; returns how many were moved."""
    folder = spool_dir(units)
    moved = 0
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        record = json.loads(path.read_text(encoding="utf-8"))
        try:
            with units.begin() as uow:
                uow.session.add(_row(record["channel"], record["sid"], record["raw"],
                                     datetime.fromisoformat(record["received_at"]),
                                     record.get("throttled", False),  # spooled by earlier code
                                     units.config.twilio_api_base_url))
        except IntegrityError:
            pass  # it reached the database after all (e.g. Twilio retried)
        path.unlink()
        moved += 1
    return moved


def unprocessed(units: Units, older_than_seconds: float, chairs: bool, limit: int = 500) -> list[tuple[int, str, str]]:
    """Inbox rows nobody has handled yet (id, sender, body), oldest first.

    `chairs`: rows from registered phones, else rows from every other number. Asked apart, so a
    backlog of flood texts waiting in the paced lane never hides a chair's text from recovery.
    """
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with units.reading() as session:
        rows = session.execute(unprocessed_query(cutoff, chairs, limit)).all()
        return [(row[0], row[1], row[2] or "") for row in rows]


def unprocessed_query(cutoff: datetime, chairs: bool, limit: int) -> Select[Any]:
    """The sweeper's lookup; the partial indexes on unhandled rows keep it off the whole inbox."""
    phones = select(ChairPhone.phone)
    sender = InboundMessage.from_number.in_(phones) if chairs else InboundMessage.from_number.not_in(phones)
    return select(InboundMessage.id, InboundMessage.from_number, InboundMessage.body).where(
        InboundMessage.processed_at.is_(None), InboundMessage.received_at <= cutoff,
        InboundMessage.channel == "sms", sender).order_by(InboundMessage.id).limit(limit)


PARKED_KEY = "hotline:inbox:parked"
PARKED_LOCK = "hotline:lock:parked"
# A parked record's first byte (admission's counting script writes them).
PARKED_THROTTLED, PARKED_UNHANDLED = b"T", b"N"


def parked_record(channel: str, sid: str, raw: Mapping[str, list[str]]) -> str:
    """A text from a number not on the roster as kept in Redis (AOF) for a bulk move into the database.

    admission.admit parks it, prefixed with T (throttled: over its number's allowance, kept but
    not acted on) or N (the unknown numbers' lane was already backed up: moved into the database
    unhandled, and the sweeper brings it to that lane). The webhook then costs one Redis write
    instead of a database commit.
    """
    return json.dumps({"channel": channel, "sid": no_nul(sid), "raw": dict(raw),
                       "received_at": utcnow().isoformat()})


def _unpark(item: bytes) -> tuple[dict[str, Any], bool]:
    """A parked record and whether it is throttled."""
    if item[:1] in (PARKED_THROTTLED, PARKED_UNHANDLED):
        return json.loads(item[1:]), item[:1] == PARKED_THROTTLED
    return json.loads(item), True  # parked by earlier code, which parked only throttled texts


def flush_parked(units: Units, redis: Redis, batch: int = 100, most: int = 5000) -> int:
    """Move parked texts into the database in bulk; safe to run from many workers at once.

    Unthrottled ones arrive unhandled: the sweeper queues them in the unknown numbers' lane
    once they are `sweep_stale_seconds` old, as its budget allows. Small transactions: on
    SQLite each one holds the write lock, and webhooks wait behind it.
    """
    lock = redis.lock(PARKED_LOCK, timeout=60, blocking_timeout=0)
    if not lock.acquire(blocking=False):
        return 0
    moved = 0
    try:
        while moved < most:
            items = redis.lrange(PARKED_KEY, 0, batch - 1)
            if not items:
                break
            records = [_unpark(item) for item in items]
            with units.begin() as uow:
                known = set(uow.session.execute(select(InboundMessage.sid).where(
                    InboundMessage.sid.in_([r["sid"] for r, _ in records]))).scalars())
                rows = []
                for r, throttled in records:
                    if r["sid"] not in known:
                        known.add(r["sid"])
                        rows.append(_values(r["channel"], r["sid"], r["raw"],
                                            datetime.fromisoformat(r["received_at"]), throttled,
                                            units.config.twilio_api_base_url))
                if rows:  # one plain multi-row INSERT: the ORM's flush of 100 rows held the lock longer
                    uow.session.execute(insert(InboundMessage.__table__), rows)
            # Trim only after the commit: a crash in between re-reads them, and known sids are skipped.
            redis.ltrim(PARKED_KEY, len(items), -1)
            moved += len(items)
        return moved
    finally:
        lock.release()
