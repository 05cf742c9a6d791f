"""The languages the hotline speaks to chairs, and the one message catalog behind every sentence.

English is the source: every chair-facing text is written in English in `wording` (and in the
checks' short forms), marked with `_()` (translated where it is used) or `N_()` (only marked, for
texts kept in tables and translated when read). Babel extracts the marked texts into
`hotline/translations/messages.pot`; the Spanish catalog is
`hotline/translations/es/LC_MESSAGES/messages.po`, compiled to the `.mo` read here with the
standard library's `gettext` (docs/runbook.md, "Translations").

Which language a sentence comes out in is the *current* language: a context variable set by the
one place that knows the chair (`speaking(lang)`: the SMS job per text, the voice webhook per
call, a blast per recipient). Everything else just asks for a sentence, so no handler passes a
language around, and English stays the default everywhere nothing chose another.
"""
from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

LANGUAGES = ("en", "es")
DEFAULT = "en"
DOMAIN = "messages"
CATALOG_DIR = Path(__file__).resolve().parent.parent / "translations"

_current: ContextVar[str] = ContextVar("hotline_language", default=DEFAULT)
K = TypeVar("K")


def supported(lang: str | None) -> str:
    """`lang` if the hotline speaks it, else the default (English)."""
    lang = (lang or "").strip().lower()
    return lang if lang in LANGUAGES else DEFAULT


@lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (English: the source texts themselves)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(CATALOG_DIR), languages=[lang])


def current() -> str:
    """The language sentences are given in right now."""
    return _current.get()


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Give every sentence inside the block in `lang` (unsupported or None: English)."""
    token = _current.set(supported(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _(msgid: str) -> str:
    """`msgid` (an English text) in the current language."""
    return catalog(_current.get()).gettext(msgid)


def translate(lang: str, msgid: str) -> str:
    """`msgid` in the given language, whatever the current one is."""
    return catalog(supported(lang)).gettext(msgid)


def N_(msgid: str) -> str:
    """Mark a text for the catalog without translating it (it is translated when read)."""
    return msgid


class Texts(Mapping[K, str]):
    """A table of marked English texts, each given in the current language when it is read."""

    def __init__(self, source: Mapping[K, str]) -> None:
        self.source = dict(source)

    def __getitem__(self, key: K) -> str:
        return _(self.source[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)
