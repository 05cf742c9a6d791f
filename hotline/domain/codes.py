"""Precinct codes as people sort them: DSM-2 before DSM-10 (digits compare as numbers)."""
from __future__ import annotations

import re

_PARTS = re.compile(r"(\d+)")


def natural_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key for `code`: runs of digits by their value, everything else case-blind.
    "DSM-2" < "DSM-10" < "dsm-11" < "IC-5"; each part is tagged so numbers and words never compare."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in _PARTS.split(code) if part != "")


def natural_sorted(codes: list[str]) -> list[str]:
    return sorted(codes, key=natural_key)
