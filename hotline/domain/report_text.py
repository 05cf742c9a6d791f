"""Reading the results in a chair's text: precinct code, PIN, stages, candidate counts and attendance."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import lru_cache

from hotline.domain import pairing
from hotline.domain.model import Stage
from hotline.domain.names import NameIndex, closest
from hotline.domain.numbers import NUMBER_WORDS, read_digits, read_words
from hotline.domain.pairing import Item
from hotline.domain.sms_text import Token, quote, tokenize
from hotline.domain.wording import sms as wording

_STAGES = {
    Stage.FIRST: "first|1st|initial|first alignment|first expression|first round|first align|1st alignment|"
                 "1st expression|1st round|1st align|alignment 1|expression 1|round 1|"
                 # Spanish
                 "primera|primer|primera alineacion|alineacion inicial|primera ronda",
    Stage.FINAL: "final|2nd|second|final alignment|final expression|final round|final align|second alignment|"
                 "second expression|second round|2nd alignment|2nd expression|2nd round|2nd align|"
                 "realignment|re alignment|realign|alignment 2|expression 2|round 2|"
                 # Spanish (accents are folded away before matching)
                 "segunda|segunda alineacion|alineacion final|realineacion|segunda ronda",
    Stage.DELEGATES: "delegates|delegate|dels|del|county delegates|county delegate|county dels|cds|cd|"
                     "delegates awarded|delegates won|delegate count|"
                     # Spanish
                     "delegados|delegado|delegados del condado|delegados de condado|dels condado",
}
_KEYWORDS = {
    "att": "attendance|attendees|attendee|att|attd|attend|attended|turnout|headcount|head count|"
           "total attendance|total attendees|asistencia|asistentes|asistencia total",
    "total": "total|totals|sum|total votes|grand total|totales|suma",
    "pin": "pin|pin number|pin code|pin no",
    "pmark": "precinct|pct|prec|precint|pcnt|precinct number|precinct code|precinct no|pct no|precinto|recinto",
    "correct": "correct|correction|corrected|fix|resubmit|resend|correccion|corregido|corregir",
    "filler": "results|result|for|votes|vote|and|then|the|of|is|are|was|were|here|from|in|at|to|our|my|we|"
              "have|had|got|count|counts|people|ppl|caucus|update|report|reporting|alignment|expression|"
              "round|group|groups|with|by|on|an|as|follows|so|far|hi|hello|thanks|thank|you|please|pls|"
              "chair|site|county|viable|nonviable|each|yes|no|ok|okay|done|finished|number|nbr|num|stage|"
              "st|nd|rd|th|"
              # Spanish
              "resultados|resultado|para|votos|y|luego|el|la|los|las|de|es|son|aqui|hola|gracias|"
              "por|favor|personas|grupo|grupos|con|nuestro|nuestros|presidente|presidenta|conteo|ronda",
}
_PHRASES: dict[tuple[str, ...], tuple[str, Stage | None]] = {
    **{tuple(p.split()): (kind, None) for kind, ps in _KEYWORDS.items() for p in ps.split("|")},
    **{tuple(p.split()): ("stage", stage) for stage, ps in _STAGES.items() for p in ps.split("|")},
}
_LONGEST = max(len(words) for words in _PHRASES)
# Misspelt stage, attendance and precinct words are recognised too ("frist", "delagates", "attendence").
_FUZZY_KEYWORDS = {words[0]: entry for words, entry in _PHRASES.items()
                   if len(words) == 1 and len(words[0]) >= 5 and entry[0] in ("stage", "att", "pmark")}
_CONTENT = frozenset({"name", "number", "stage", "att", "total"})


@dataclass
class ReportParts:
    """What `read` found, before it is frozen into a `Report`."""

    precinct: str | None = None
    pin: str | None = None
    sections: list[tuple[Stage | None, dict[str, int]]] = field(default_factory=list)
    attendance: int | None = None
    correction: bool = False
    errors: list[str] = field(default_factory=list)
    stage_errors: list[tuple[Stage | None, str]] = field(default_factory=list)  # errors by the stage they are in


def read(text: str, index: NameIndex, known_precincts: Collection[str] | None) -> ReportParts:
    """Read a cleaned text that is not a command."""
    items = _drop_filler(_merge_names(_classify(tokenize(text), index)))
    parts = ReportParts()
    parts.correction = _take_correction(items)
    parts.pin, items = _take_pin(items, parts.errors)
    parts.precinct, items = _take_precinct(items, known_precincts, parts.errors)
    parts.sections, parts.attendance = pairing.sections(items, index, parts.errors, parts.stage_errors)
    return parts


def _classify(tokens: list[Token], index: NameIndex) -> list[Item]:
    """Group tokens into names, keywords, numbers and unknown words, longest phrase first."""
    items, i = [], 0
    while i < len(tokens):
        found = _phrase_at(tokens, i, index) or _number_words_at(tokens, i)
        item, used = found or (_single(tokens[i], index), 1)
        items.append(item)
        i += used
    return items


def _span(kind: str, window: list[Token], **fields: object) -> Item:
    raw = "".join((t.gap if n else "") + t.raw for n, t in enumerate(window))
    word = window[0].text if len(window) == 1 else ""
    return Item(kind, raw, window[0].start, window[0].gap, word=word, **fields)  # type: ignore[arg-type]


def _phrase_at(tokens: list[Token], i: int, index: NameIndex) -> tuple[Item, int] | None:
    for n in range(min(max(index.longest, _LONGEST), len(tokens) - i), 0, -1):
        window = tokens[i:i + n]
        if any(t.gap.strip(" -") for t in window[1:]):
            continue  # a phrase never spans a comma, colon or newline
        words = tuple(t.text for t in window)
        names = index.exact(words)
        if names:
            return _span("name", window, names=names), n
        if words in _PHRASES:
            kind, stage = _PHRASES[words]
            return _span(kind, window, stage=stage), n
    return None


def _number_words_at(tokens: list[Token], i: int) -> tuple[Item, int] | None:
    n = 0  # "twenty-five", "one hundred twelve": one spelled-out number
    while i + n < len(tokens) and tokens[i + n].text in NUMBER_WORDS:
        if n and tokens[i + n].gap.strip(" -"):
            break
        n += 1
    if not n:
        return None
    window = tokens[i:i + n]
    item = _span("number", window)
    return replace(item, number=read_words(item.raw, [t.text for t in window])), n


def _single(token: Token, index: NameIndex) -> Item:
    if token.kind == "number":
        return _span("number", [token], number=read_digits(token.text))
    names = index.guess(token.text)
    if names:
        return _span("name", [token], names=names)
    keywords = closest(token.text, _FUZZY_KEYWORDS)
    if len(keywords) == 1:
        return _span(keywords[0][0], [token], stage=keywords[0][1])
    return _span("filler" if len(token.text) == 1 else "unknown", [token])


def _merge_names(items: list[Item]) -> list[Item]:
    """Join neighbouring words that name the same person: "Liz Warren", "Mike Bloomberg"."""
    out: list[Item] = []
    for item in items:
        prev = out[-1] if out else None
        if prev and prev.kind == item.kind == "name" and prev.names & item.names:
            raw = prev.raw + item.gap + item.raw
            out[-1] = replace(prev, raw=raw, names=prev.names & item.names, word="")
        else:
            out.append(item)
    return out


def _drop_filler(items: list[Item]) -> list[Item]:
    """Drop filler words, keeping the separators they stood between."""
    out: list[Item] = []
    carried = ""
    for item in items:
        if item.kind == "filler":
            carried += item.gap + " "
            continue
        out.append(replace(item, gap=carried + item.gap) if carried else item)
        carried = ""
    return out


def _take_correction(items: list[Item]) -> bool:
    """Whether the text starts with CORRECT, FIX or RESUBMIT (such words are then dropped)."""
    first_content = next((n for n, item in enumerate(items) if item.kind in _CONTENT), len(items))
    found = any(item.kind == "correct" for item in items[:first_content])
    items[:] = [item for item in items if item.kind != "correct"]
    return found


def _take_pin(items: list[Item], errors: list[str]) -> tuple[str | None, list[Item]]:
    out, pin, i = [], None, 0
    while i < len(items):
        item, nxt = items[i], items[i + 1] if i + 1 < len(items) else None
        if item.kind != "pin":
            out.append(item)
        elif nxt is not None and nxt.kind == "number" and nxt.raw.isdigit():
            pin = pin or nxt.raw
            i += 1
        else:
            errors.append(wording.PIN_MISSING.format(token=quote(item.raw)))
        i += 1
    return pin, out


def _take_precinct(items: list[Item], known: Collection[str] | None,
                   errors: list[str]) -> tuple[str | None, list[Item]]:
    """Find the precinct code(s) and take them out of the items."""
    codes_known = _known_codes(known) if known is not None else None
    found: list[str] = []
    out: list[Item] = []
    i = 0
    while i < len(items):
        at_start = not any(item.kind in _CONTENT for item in out)
        used, code = _precinct_at(items, i, codes_known, at_start)
        if used:
            found.append(code)
            i += used
        else:
            out.append(items[i])
            i += 1
    codes = list(dict.fromkeys(found))
    if len(codes) > 1:
        errors.append(wording.TWO_PRECINCTS.format(first=codes[0], second=codes[1]))
    if codes and codes_known is not None and codes[0] not in codes_known.codes:
        errors.append(wording.NOT_A_PRECINCT.format(code=quote(codes[0]).strip("'")))
    return (codes[0] if codes else None), out


@dataclass(frozen=True)
class KnownCodes:
    """The roster's precinct codes, looked up the way chairs type them."""

    codes: frozenset[str]
    by_canonical: dict[str, str]
    prefixes: frozenset[str]  # "DSM-" for DSM-42: does a spaced "dsm 42" start a known code?


def _known_codes(known: Collection[str]) -> KnownCodes:
    # Built once per roster (the worker passes the same frozenset for every text), not per text:
    # a state has ~1,800 codes, and canonicalizing each cost more than reading the text.
    return _known_codes_cached(known) if isinstance(known, frozenset) else _build_known(known)


@lru_cache(maxsize=8)
def _known_codes_cached(known: frozenset[str]) -> KnownCodes:
    return _build_known(known)


def _build_known(known: Collection[str]) -> KnownCodes:
    by_canonical = {_canonical(code): code for code in known}
    return KnownCodes(codes=frozenset(known), by_canonical=by_canonical,
                      prefixes=frozenset(k.split("-", 1)[0] + "-" for k in by_canonical if "-" in k))


def _precinct_at(items: list[Item], i: int, known: KnownCodes | None, at_start: bool) -> tuple[int, str]:
    """How many items starting at i make a precinct code, and the code; (0, "") when they don't."""
    marker = items[i].kind == "pmark"
    rest = items[i + 1:i + 3] if marker else items[i:i + 2]
    if marker and rest and _code_number(rest[0]):
        return 2, _known_or(known, rest[0].raw)  # "precinct 42"
    if len(rest) < 2 or rest[0].kind not in ("unknown", "name") or not _code_number(rest[1]):
        return 0, ""
    letters, number = rest[0].word, rest[1]
    if not (letters.isascii() and letters.isalpha()) or len(letters) > 8:  # codes are A-Z only
        return 0, ""
    code = f"{letters.upper()}-{int(number.raw)}"
    used = len(rest) + marker
    if known is not None and (listed := known.by_canonical.get(_canonical(code))) is not None:
        return used, listed
    if rest[0].kind == "name":
        return 0, ""  # "Pete-45" is a count
    attached = number.gap == "" or number.gap.strip() in ("-", "#")  # DSM-42, DSM42, DSM - 42
    spaced_ok = at_start and 2 <= len(letters) <= 5 and (  # "dsm 42" opening the text
        known is None or letters.upper() + "-" in known.prefixes)
    if marker or "#" in rest[0].gap or (attached and len(letters) <= 6) or spaced_ok:
        return used, code
    return 0, ""


def _code_number(item: Item) -> bool:
    return item.kind == "number" and item.raw.isdigit() and len(item.raw) <= 6


def _canonical(code: str) -> str:
    """Compare codes the way chairs type them: any case, with or without the dash or leading zeros."""
    match = re.fullmatch(r"\s*([^\W\d_]*)[\s#-]*?0*([0-9]+)\s*", code)
    if not match:
        return code.strip().upper()
    return f"{match[1].upper()}-{int(match[2])}" if match[1] else str(int(match[2]))


def _known_or(known: KnownCodes | None, code: str) -> str:
    return known.by_canonical.get(_canonical(code), str(int(code))) if known is not None else str(int(code))


# Words a COIN text may carry besides the precinct and the winners ("COIN toss won by Sanders").
_COIN_FILLER = frozenset({"coin", "toss", "tossed", "won", "win", "wins", "winner", "winners", "by", "and",
                          "the", "was", "is", "flip", "flipped", "to", "went", "for", "please", "pls", "thanks",
                          # Spanish: "MONEDA Sanders", "la moneda la gano Sanders"
                          "moneda", "volado", "gano", "ganador", "ganadora", "por", "la", "el", "fue",
                          "para", "gracias"})
_COIN_WORDS = frozenset({"coin", "moneda"})


@dataclass(frozen=True)
class CoinParts:
    """What a COIN text says: the precinct code (if any), each named winner's possible
    candidates, and the words that name nobody."""

    precinct: str | None
    choices: tuple[frozenset[str], ...]
    unknown: tuple[str, ...]
    errors: tuple[str, ...]


def is_coin(text: str) -> bool:
    """Whether a cleaned text is a COIN command: "COIN ..." or "DSM-6 COIN ..."."""
    words = [t.text for t in tokenize(text)[:5]]
    return bool(_COIN_WORDS & set(words)) and words[0] not in _STAGE_WORDS


def read_coin(text: str, index: NameIndex, known_precincts: Collection[str] | None) -> CoinParts:
    """Read a COIN text: who won the coin toss, and for which precinct."""
    tokens = [t for t in tokenize(text) if t.text not in _COIN_FILLER]
    items = _drop_filler(_merge_names(_classify(tokens, index)))
    errors: list[str] = []
    _, items = _take_pin(items, errors)
    precinct, items = _take_precinct(items, known_precincts, errors)
    choices = tuple(item.names for item in items if item.kind == "name")
    unknown = tuple(item.raw for item in items if item.kind != "name")
    return CoinParts(precinct, choices, unknown, tuple(errors))


_STAGE_WORDS = frozenset(words[0] for words, (kind, _) in _PHRASES.items() if kind == "stage")
