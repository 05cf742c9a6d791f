"""Canned replies: ready-made texts administrators keep and staff insert into *Text the chair*.

Each has a title, the text and a language code (`en` or `es`); creating, changing and deleting
one is logged (`canned_reply_created`, `canned_reply_changed`, `canned_reply_deleted`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hotline.adapters.models import CannedReply, utcnow
from hotline.services.log import chain as vlog
from hotline.services.units import Units

LANGUAGES = {"en": "English", "es": "Spanish"}
TITLE_MAX, BODY_MAX = 80, 480  # a text the console may send is at most 480 characters


class CannedError(ValueError):
    """A canned reply cannot be saved as asked; the message says why."""


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    body: str
    language: str


def _view(row: CannedReply) -> Canned:
    return Canned(row.id, row.title, row.body, row.language)


def _checked(title: str, body: str, language: str) -> tuple[str, str, str]:
    title, body, language = title.strip(), body.strip(), language.strip().lower()
    if not title or not body:
        raise CannedError("A canned reply needs a title and its text.")
    if len(title) > TITLE_MAX:
        raise CannedError(f"Keep the title to {TITLE_MAX} characters.")
    if len(body) > BODY_MAX:
        raise CannedError(f"Keep the text to {BODY_MAX} characters (a staff text is at most {BODY_MAX}).")
    if language not in LANGUAGES:
        raise CannedError(f"Language must be one of: {', '.join(LANGUAGES)}.")
    return title, body, language


def everything(units: Units) -> list[Canned]:
    """Every canned reply, by language then title."""
    with units.reading() as s:
        rows = s.execute(select(CannedReply).order_by(CannedReply.language, CannedReply.title,
                                                      CannedReply.id)).scalars()
        return [_view(r) for r in rows]


def create(units: Units, title: str, body: str, language: str, *, actor: str) -> Canned:
    title, body, language = _checked(title, body, language)
    with units.begin() as uow:
        row = CannedReply(title=title, body=body, language=language, created_by=actor)
        uow.session.add(row)
        uow.session.flush()
        vlog.record(uow.session, "canned_reply_created", actor=actor, reply_id=row.id, title=title,
                    language=language, text=body)
        return _view(row)


def change(units: Units, reply_id: int, title: str, body: str, language: str, *, actor: str) -> None:
    title, body, language = _checked(title, body, language)
    with units.begin() as uow:
        row = uow.session.get(CannedReply, reply_id)
        if row is None:
            raise CannedError("There is no such canned reply.")
        changes = {k: v for k, v in (("title", title), ("text", body), ("language", language))
                   if getattr(row, "body" if k == "text" else k) != v}
        if not changes:
            return
        row.title, row.body, row.language = title, body, language
        row.updated_by, row.updated_at = actor, utcnow()
        vlog.record(uow.session, "canned_reply_changed", actor=actor, reply_id=row.id, **changes)


def remove(units: Units, reply_id: int, *, actor: str) -> None:
    with units.begin() as uow:
        row = uow.session.get(CannedReply, reply_id)
        if row is None:
            raise CannedError("There is no such canned reply.")
        vlog.record(uow.session, "canned_reply_deleted", actor=actor, reply_id=row.id, title=row.title)
        uow.session.delete(row)
