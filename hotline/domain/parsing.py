"""Turning a precinct chair's text message into a command or a results report (pure stdlib).

`parse_message` never raises: anything that is not a command becomes a `Report`, and whatever
could not be understood is listed in `Report.errors` as short, plain-ASCII fix-it sentences
that quote the exact words the chair typed.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from hotline.domain import report_text
from hotline.domain.model import Candidate, Stage
from hotline.domain.names import NameIndex
from hotline.domain.sms_text import clean, quote
from hotline.domain.wording import sms as wording

MAX_LENGTH = 2000  # Twilio's longest concatenated SMS is 1600 characters; more is a paste accident

@dataclass(frozen=True)
class Confirm:
    """YES and the read-back code (code is None when the chair sent only YES)."""

    code: str | None = None


@dataclass(frozen=True)
class Cancel:
    """Drop the report waiting for confirmation."""


@dataclass(frozen=True)
class Help:
    """How to report."""


@dataclass(frozen=True)
class Status:
    """What is recorded for my precinct."""


@dataclass(frozen=True)
class Done:
    """The chair says the report is complete."""


@dataclass(frozen=True)
class CallMe:
    """The chair asks a person to call back."""


@dataclass(frozen=True)
class Coin:
    """COIN and the winner(s) of a coin toss: each word's possible candidates, the words that
    name nobody, and the precinct code if the chair gave one."""

    precinct: str | None = None
    choices: tuple[frozenset[str], ...] = ()
    unknown: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One result set: its stage (None if the chair named none) and counts by display name, in order given."""

    stage: Stage | None
    counts: dict[str, int]


@dataclass(frozen=True)
class Report:
    """Results (or an attempt at them), with every problem found in `errors`."""

    precinct: str | None = None
    pin: str | None = None
    sections: tuple[Section, ...] = ()
    attendance: int | None = None
    correction: bool = False
    errors: tuple[str, ...] = ()
    # Errors found in one stage's part of the text, with that stage (None: before any stage word).
    stage_errors: tuple[tuple[Stage | None, str], ...] = field(default=(), compare=False)

    @property
    def stage(self) -> Stage | None:
        """The stage of the first section."""
        return self.sections[0].stage if self.sections else None

    @property
    def counts(self) -> dict[str, int]:
        """The counts of the first section."""
        return self.sections[0].counts if self.sections else {}

    @property
    def ok(self) -> bool:
        """No errors, and at least one count."""
        return not self.errors and any(section.counts for section in self.sections)


def missing_parts(report: Report) -> list[str]:
    """What a report lacks before it can be read back: any numbers, or the stage they are for."""
    if not report.sections or not any(section.counts for section in report.sections):
        return [wording.NO_NUMBERS]
    if any(section.stage is None for section in report.sections):
        return [wording.NEED_STAGE]
    return []


Message = Confirm | Cancel | Help | Status | Done | CallMe | Coin | Report

# Twilio answers these itself (opt-out / opt-in); a chair who sends one is not reporting.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "end", "quit", "revoke", "optout"})
OPT_IN_WORDS = frozenset({"start", "unstop"})

_POLITE = frozenset({"please", "pls", "plz", "thanks", "thank", "you", "thx", "ty", "ok", "okay",
                     "por", "favor", "gracias", "porfa"})
_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "ya", "yea", "confirm", "confirmed", "ok", "okay",
                  "si", "confirmo", "confirmado"})
_STATUS = frozenset({"status", "estado"})
_WITH_YES = _POLITE | {"correct", "right", "good", "looks", "thats", "that", "is", "its", "all", "code",
                       "correcto", "esta", "bien", "codigo", "el", "todo"}
_PHRASES: dict[str, type] = {
    **dict.fromkeys(["cancel", "no", "n", "nope", "no cancel", "cancel that", "cancel it",
                     "cancel report", "no cancel it", "cancel please"], Cancel),
    **dict.fromkeys(["help", "?", "info", "how", "help me", "how do i report", "how to report",
                     "what do i do", "menu", "instructions"], Help),
    **dict.fromkeys(["call", "call me", "call back", "call me back", "callback", "please call",
                     "please call me", "call me please", "need help call me", "talk to someone",
                     "talk to a person", "i need a person", "person", "operator", "agent"], CallMe),
    **dict.fromkeys(["done", "finished", "thats all", "that is all", "all done", "im done", "we are done",
                     "were done", "complete", "all finished", "done all stages"], Done),
    # Spanish (accents are dropped before the lookup: "llámame" is "llamame")
    **dict.fromkeys(["cancelar", "cancela", "cancelar reporte", "no cancelar"], Cancel),
    **dict.fromkeys(["ayuda", "ayudame", "informacion", "como reporto", "instrucciones"], Help),
    **dict.fromkeys(["llamar", "llamame", "llameme", "llamenme", "llamada", "llamenos", "necesito ayuda llamame",
                     "hablar con alguien", "una persona", "operador"], CallMe),
    **dict.fromkeys(["listo", "listos", "terminado", "terminamos", "ya terminamos", "hemos terminado",
                     "es todo", "eso es todo", "todo listo", "ya esta", "completo"], Done),
}
# Words only a chair writing in Spanish uses: a text with one of them is answered in Spanish.
SPANISH_WORDS = frozenset({
    "si", "ayuda", "ayudame", "estado", "primera", "primer", "segunda", "delegados", "delegado", "asistencia",
    "asistentes", "llamar", "llamame", "llameme", "llamenme", "listo", "listos", "terminado", "terminamos",
    "moneda", "cancelar", "gracias", "alineacion", "realineacion", "informacion", "instrucciones", "hola",
    "condado", "precinto", "codigo", "correcto", "todo", "favor",
})


# Words only an English text has: such a text is answered in the roster language, not the
# language of the phone's earlier texts.
ENGLISH_WORDS = frozenset({"yes", "status", "help", "first", "delegates", "delegate", "attendance", "call",
                           "done", "coin", "cancel", "finished", "please", "thanks"})


def parse_message(text: str, candidates: Sequence[Candidate], *,
                  known_precincts: Collection[str] | None = None) -> Message:
    """Parse one chair's text (or several split texts joined) into a command or a `Report`."""
    cleaned = clean(text or "")
    command = _command(cleaned)
    if command is not None:
        return command
    if not cleaned:
        return Report(errors=(wording.EMPTY,))
    if report_text.is_coin(cleaned[:MAX_LENGTH]):
        coin = report_text.read_coin(cleaned[:MAX_LENGTH], _names(candidates), known_precincts)
        return Coin(coin.precinct, coin.choices, coin.unknown, coin.errors)
    words = cleaned.lower().split()
    if len(words) == 1 and words[0].strip("!.") in OPT_OUT_WORDS:
        return Report(errors=(wording.OPTED_OUT.format(token=quote(cleaned)),))
    errors = [wording.TOO_LONG] if len(cleaned) > MAX_LENGTH else []
    index = _names(candidates)
    report = report_text.read(cleaned[:MAX_LENGTH], index, known_precincts)
    errors += report.errors
    if not report.sections and not errors:
        errors.append(wording.NO_RESULTS.format(name=index.example))
    sections = tuple(Section(stage, counts) for stage, counts in report.sections)
    return Report(report.precinct, report.pin, sections, report.attendance, report.correction,
                  tuple(dict.fromkeys(errors)), tuple(report.stage_errors))


def _names(candidates: Sequence[Candidate]) -> NameIndex:
    try:
        return _index(tuple(candidates))
    except TypeError:  # a candidate built with a list of aliases is unhashable: index it uncached
        return NameIndex(candidates)


@lru_cache(maxsize=8)
def _index(candidates: tuple[Candidate, ...]) -> NameIndex:
    """The name index for a candidate list; the list rarely changes, so it is built once."""
    return NameIndex(candidates)


def _command(cleaned: str) -> Message | None:
    """YES 4821, 4821, CANCEL, HELP, STATUS or DONE (with politeness around it), else None."""
    spaced = re.sub(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", " ", _plain(cleaned).lower().replace("'", ""))
    words = re.findall(r"[a-z]+|[0-9]+|\?", spaced)
    digits = [w for w in words if w.isdigit()]
    rest = [w for w in words if not w.isdigit() and w != "?"]
    code = "".join(digits) or None
    if not rest:
        if len(digits) == 1 and 4 <= len(digits[0]) <= 6:
            return Confirm(digits[0])  # a bare code is the answer to "Reply YES 4821"
        return Help() if "?" in words and not digits else None
    if set(rest) & _YES and set(rest) <= _YES | _WITH_YES and len(digits) <= 2 and len(code or "") <= 10:
        return Confirm(code)
    if rest[0] in OPT_IN_WORDS and len(rest) == 1 and not digits:
        return Help()
    if rest[0] in _STATUS and len(rest) <= 4 and len(digits) <= 1:
        return Status()
    polite = " ".join(w for w in rest if w not in _POLITE) or " ".join(rest)
    kind = _PHRASES.get(polite)
    if kind is Cancel and len(digits) <= 1:
        return Cancel()
    return kind() if kind is not None and not digits else None


def _plain(text: str) -> str:
    """Accents dropped ("SÍ" is "SI", "llámame" is "llamame"); ñ becomes n."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def language_of(text: str) -> str | None:
    """"es" when the text is written in Spanish (one of SPANISH_WORDS, in any case, with or without
    accents), else None: most texts ("final: Biden 12", "YES 4821") say nothing about their language."""
    words = set(re.findall(r"[a-z]+", _plain(clean(text or "")).lower()))
    return "es" if words & SPANISH_WORDS else None


def reply_language(body: str, earlier: Sequence[str], roster: str) -> str:
    """The language to answer `body` in: Spanish when it is written in Spanish; for a text that
    says nothing about its language ("final: Warren 35"), Spanish when one of the phone's last
    texts (`earlier`, newest first) was, so a chair who wrote Spanish keeps getting Spanish;
    else the chair's roster language."""
    if language_of(body) is not None:
        return "es"
    words = set(re.findall(r"[a-z]+", _plain(clean(body or "")).lower()))
    if words & ENGLISH_WORDS:
        return roster  # written in English ("STATUS", "YES 1234"): as the roster says
    if roster != "es" and any(language_of(e) is not None for e in earlier):
        return "es"
    return roster


def as_dict(message: Message) -> dict:
    """The message as JSON-ready data: kind, precinct, stage, counts and errors (plus the rest)."""
    base: dict = {"kind": type(message).__name__.lower(), "precinct": None, "stage": None,
                  "counts": {}, "errors": []}
    if isinstance(message, Confirm):
        base["code"] = message.code
    if isinstance(message, Coin):
        base.update(precinct=message.precinct, errors=list(message.errors), unknown=list(message.unknown),
                    winners=[sorted(names) for names in message.choices])
    if isinstance(message, Report):
        base.update(precinct=message.precinct, stage=message.stage.value if message.stage else None,
                    counts=dict(message.counts), errors=list(message.errors), pin=message.pin,
                    attendance=message.attendance, correction=message.correction,
                    sections=[{"stage": s.stage.value if s.stage else None, "counts": dict(s.counts)}
                              for s in message.sections])
        if len(message.sections) > 1:
            _several_stages(message, base)
    return base


def _several_stages(message: Report, base: dict) -> None:
    """A text with several stages: every stage is in `sections`, none stands for the whole text at the
    top, and each error says which stage's part of the text it is in."""
    where: dict[str, list[Stage | None]] = {}
    for stage, error in message.stage_errors:
        where.setdefault(error, []).append(stage)
    base.update(stage=None, counts={}, stages=[_value(s.stage) for s in message.sections])
    for section in base["sections"]:
        section["errors"] = [e for e in message.errors
                             if any(_value(stage) == section["stage"] for stage in where.get(e, ()))]
    base["errors"] = [f"{' and '.join(_label(stage) for stage in dict.fromkeys(where[e]))}: {e}" if e in where
                      else e for e in message.errors]


def _label(stage: Stage | None) -> str:
    return stage.label if stage else "Before any stage word"


def _value(stage: Stage | None) -> str | None:
    return stage.value if stage else None
