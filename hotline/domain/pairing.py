"""Pairing names with numbers inside each stage of a chair's text, and checking every pair."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hotline.domain.model import Stage
from hotline.domain.names import NameIndex
from hotline.domain.numbers import Number
from hotline.domain.sms_text import STRONG_SEPARATORS, quote
from hotline.domain.wording import sms as wording

_LABELS = frozenset({"name", "unknown", "att", "total"})
_PAIRABLE = _LABELS | {"number"}
# What leaving an item unpaired costs: a stray unknown word is just chatter ("Hi, here you go").
_SKIP_COST = {"name": 10.0, "number": 10.0, "unknown": 0.0, "att": 1.0, "total": 1.0}


@dataclass(frozen=True)
class Item:
    """A run of tokens that means one thing: a name, a number, a stage word, a keyword or an unknown word."""

    kind: str  # name unknown number stage att total pin pmark correct filler
    raw: str
    start: int
    gap: str  # the text between the previous item and this one
    word: str = ""  # the folded word, for one-word items
    names: frozenset[str] = frozenset()
    stage: Stage | None = None
    number: Number | None = None

    @property
    def strong(self) -> bool:
        """Whether a comma, semicolon, newline or the like separates this item from the one before."""
        return any(ch in STRONG_SEPARATORS for ch in self.gap)


Counts = dict[str, tuple[int, str]]  # display name -> (count, the words it came from)


def sections(items: list[Item], index: NameIndex, errors: list[str],
             where: list[tuple[Stage | None, str]] | None = None,
             ) -> tuple[list[tuple[Stage | None, dict[str, int]]], int | None]:
    """Split the items at stage words, pair names with numbers, and check each pair.

    `where`, when given, receives each error found here with the stage whose part of the text it is in."""
    tallies: dict[Stage | None, Counts] = {}
    attendance: Counts = {}
    example = index.example
    for stage_item, content in _segments(items):
        stage = stage_item.stage if stage_item else None
        before = len(errors)
        tally = tallies.setdefault(stage, {})
        if stage_item and not any(item.kind != "unknown" for item in content):
            errors.append(wording.STAGE_EMPTY.format(token=quote(stage_item.raw), stage=stage, name=example))
        for label, number in _pair(content):
            into = attendance if label and label.kind == "att" else tally
            _check(label, number, into, index, errors, example)
        if where is not None:
            where += [(stage, error) for error in errors[before:]]
    found = [(stage, {name: n for name, (n, _) in tally.items()}) for stage, tally in tallies.items()
             if tally or stage]
    return found, (attendance["attendance"][0] if attendance else None)


def _segments(items: list[Item]) -> list[tuple[Item | None, list[Item]]]:
    """Cut the items at stage words; a lone stage word at the very end names the counts before it."""
    segments: list[tuple[Item | None, list[Item]]] = [(None, [])]
    for item in items:
        if item.kind == "stage":
            last_stage, last_content = segments[-1]
            if not (last_stage and not last_content and last_stage.stage == item.stage):
                segments.append((item, []))  # "final - realignment" is one stage word, said twice
        elif item.kind in _PAIRABLE:
            segments[-1][1].append(item)
    if len(segments) == 2 and not segments[1][1] and segments[0][1]:
        segments = [(segments[1][0], segments[0][1])]  # "Pete 55, Bernie 48 final"
    return segments


def _pair(items: list[Item]) -> Iterator[tuple[Item | None, Item | None]]:
    """Pair each name with the number next to it, whichever side it is on, at the least total cost."""
    cost = [0.0] + [float("inf")] * len(items)
    step = [0] * (len(items) + 1)
    for i, item in enumerate(items):
        if cost[i] + _SKIP_COST[item.kind] < cost[i + 1]:
            cost[i + 1], step[i + 1] = cost[i] + _SKIP_COST[item.kind], 1
        pair = _pair_cost(item, items[i + 1]) if i + 1 < len(items) else None
        if pair is not None and cost[i] + pair < cost[i + 2]:
            cost[i + 2], step[i + 2] = cost[i] + pair, 2
    chunks, end = [], len(items)
    while end:
        chunks.append(items[end - step[end]:end])
        end -= step[end]
    for chunk in reversed(chunks):
        labels = [item for item in chunk if item.kind in _LABELS]
        numbers = [item for item in chunk if item.kind == "number"]
        yield (labels[0] if labels else None), (numbers[0] if numbers else None)


def _pair_cost(a: Item, b: Item) -> float | None:
    """0 for "Pete 45", 1 with a comma between; "45 Pete" and unknown names cost a hair more (ties)."""
    if (a.kind in _LABELS) == (b.kind in _LABELS):
        return None
    return (1.0 if b.strong else 0.0) + (0.01 if a.kind == "number" else 0.0) + \
        (0.001 if "unknown" in (a.kind, b.kind) else 0.0)


def _check(label: Item | None, number: Item | None, tally: Counts, index: NameIndex,
           errors: list[str], example: str) -> None:
    """Record one pair in the tally, or say what is wrong with it."""
    problem = number.number.problem if number and number.number else None
    if problem:
        errors.append(_number_problem(number))  # type: ignore[arg-type]
    if label is None:
        if number and not problem:
            errors.append(wording.NO_NAME.format(token=quote(number.raw), token_bare=number.raw, name=example))
    elif label.kind == "unknown":
        if number:
            close = index.suggest(label.word) if label.word else None
            template = wording.UNKNOWN_LIKE if close else wording.UNKNOWN
            errors.append(template.format(token=quote(label.raw), name=close))
    elif len(label.names) > 1:
        names = index.ordered(label.names)
        listed = ", ".join(names[:-1]) + " or " + names[-1]
        errors.append(wording.AMBIGUOUS.format(token=quote(label.raw), names=listed))
    elif number is None:
        if label.kind == "name":
            errors.append(wording.NO_NUMBER.format(token=quote(label.raw), name=next(iter(label.names))))
    elif not problem and label.kind != "total":
        _record(label, number, tally, errors)


def _record(label: Item, number: Item, tally: Counts, errors: list[str]) -> None:
    name = next(iter(label.names)) if label.kind == "name" else "attendance"
    value = number.number.value if number.number else None
    said = " ".join(item.raw for item in sorted((label, number), key=lambda item: item.start))
    if value is None:
        return
    if name not in tally:
        tally[name] = (value, said)
    elif tally[name][0] != value:
        first = quote(tally[name][1])
        template = wording.ATTENDANCE_TWICE if label.kind == "att" else wording.DUPLICATE
        errors.append(template.format(name=name, first=first, second=quote(said)))


def _number_problem(number: Item) -> str:
    value = number.number.value if number.number else None
    hint = f", like {value}" if value is not None else ""
    return wording.NUMBER_PROBLEMS[number.number.problem].format(token=quote(number.raw), hint=hint)  # type: ignore
