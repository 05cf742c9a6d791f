"""Opening and closing backlog items for hotline staff."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, Precinct, utcnow
from hotline.services.log import chain as vlog

# Lower is more urgent. Call-backs from registered chairs outrank everything else.
PRIORITY = {"callback_request": 0, "failed_check": 1, "pin_lockout": 1, "code_lockout": 1,
            "voicemail": 2, "unparsed_text": 2, "delivery_failure": 2, "unknown_sender": 3,
            "log_rewrite": 1,  # the verification log no longer extends its signed checkpoint
            "photo_failed": 2,  # a worksheet photo could not be downloaded from Twilio after every try
            "opted_out": 1,  # a chair's registered phone opted out of texts: call the chair
            "reply_loop": 2,  # an auto-responder answered our replies: automatic replies paused
            "precinct_held": 1,  # staff or the copy-error checks held a precinct back for review
            "source_conflict": 1}  # an observer's counts differ from the chair's: figures held
KINDS = tuple(PRIORITY)


def unknown_sender_key(phone: str) -> str:
    """The dedupe key of a number's one item while it is not on the roster (texts and calls)."""
    return f"unknown:{phone}"


# Built once: most texts look for an open item to close or add to.
OPEN_BY_KEY = select(BacklogItem).where(BacklogItem.dedupe_key == bindparam("key"),
                                        BacklogItem.resolved_at.is_(None))


def open_item(session: Session, kind: str, *, summary: str, precinct_id: int | None = None,
              phone: str | None = None, detail: dict[str, Any] | None = None,
              submission_id: int | None = None, dedupe_key: str | None = None,
              priority: int | None = None) -> BacklogItem:
    """Open an item, or return the open one with the same dedupe key (adding to its detail)."""
    if kind not in PRIORITY:
        raise ValueError(f"unknown backlog kind {kind!r}")
    if dedupe_key:
        existing = session.execute(OPEN_BY_KEY, {"key": dedupe_key}).scalars().first()
        if existing is not None:
            existing.detail = {**existing.detail, "repeats": existing.detail.get("repeats", 1) + 1}
            return existing
    item = BacklogItem(kind=kind, priority=PRIORITY[kind] if priority is None else priority,
                       precinct_id=precinct_id, phone=phone, summary=summary,
                       detail=detail or {}, submission_id=submission_id, dedupe_key=dedupe_key)
    session.add(item)
    session.flush()
    precinct = session.get(Precinct, precinct_id) if precinct_id else None
    vlog.record(session, "backlog_opened", precinct=precinct.code if precinct else None,
                phone=phone, item_id=item.id, item_kind=kind, summary=summary)
    return item


def auto_resolve(session: Session, dedupe_key: str, note: str) -> None:
    """Close an open item that the chair's own later action made moot."""
    resolve(session, dedupe_key, "system", "auto", note)


def resolve(session: Session, dedupe_key: str, actor: str, resolution: str, note: str) -> list[BacklogItem]:
    """Close the open item with this key: `actor` (a staff member, or "system") did what it asked
    through the use case that owns it (a hold released, a conflict settled). Logged as any close is,
    so it counts in that staff member's figures."""
    items = list(session.execute(OPEN_BY_KEY, {"key": dedupe_key}).scalars())
    for item in items:
        item.resolved_at, item.resolved_by = utcnow(), actor
        item.resolution, item.note = resolution, note
        item.claimed_by = item.claim_expires_at = None
        vlog.record(session, "backlog_resolved", precinct=item.precinct.code if item.precinct else None,
                    phone=item.phone, item_id=item.id, actor=actor, note=note)
    return items
