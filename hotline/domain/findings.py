"""Findings of the consistency checks, and the short SMS summary read back to a chair."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

from hotline.domain.languages import current


class Severity(str, Enum):
    """error: impossible under the rules (flagged); warning: suspicious; info: recorded only."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One result of a check: a stable `code`, a severity, and a message a volunteer can read to a chair.

    `short` is a one-sentence SMS form of the message (plain ASCII); it is not
    part of equality so it can be reworded freely.
    """

    code: str
    severity: Severity
    message: str
    candidate: str | None = None
    short: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, str | None]:
        """The JSON shape used by the audit and the APIs."""
        return {"code": self.code, "severity": self.severity.value,
                "candidate": self.candidate, "message": self.message}


# The order in which findings are worth a chair's attention in a 160-character text:
# the likely cause first (a shifted column), then what the chair can fix from the worksheet.
CHAIR_PRIORITY = (
    "column-shift", "allocation-mismatch", "delegates-sum", "delegates-to-nonviable",
    "viable-group-without-delegate", "more-votes-fewer-delegates", "final-exceeds-first",
    "final-exceeds-attendance", "first-exceeds-attendance", "viable-group-lost-members",
    "no-viable-group", "stage-missing", "stage-partial", "negative-count", "identical-precinct",
    "attendance-above-turnout", "sde-mismatch",
)
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def is_flagged(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error (the report is not published until a person explains it)."""
    return any(f.severity is Severity.ERROR for f in findings)


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Errors, then warnings, then infos, keeping the checks' order within each."""
    return sorted(findings, key=lambda f: _SEVERITY_RANK[f.severity])


def summarize_for_chair(findings: Iterable[Finding], limit: int = 160) -> str:
    """One or two short GSM-7-safe sentences about the most important error or warning ('' if none)."""
    ranked = sorted((f for f in findings if f.severity is not Severity.INFO),
                    key=lambda f: (_priority(f.code), _SEVERITY_RANK[f.severity]))
    sentences: list[str] = []
    used: set[str] = set()
    for finding in ranked:
        if finding.code in used:
            continue  # one sentence per kind of problem keeps the text short
        sentence = (gsm_safe_spanish if current() == "es" else gsm_safe)(finding.short or finding.message)
        if len(" ".join(sentences + [sentence])) <= limit:
            sentences.append(sentence)
            used.add(finding.code)
        elif not sentences:
            sentences.append(_truncate(sentence, limit))
        if len(sentences) == 2:
            break
    return " ".join(sentences)


def _priority(code: str) -> int:
    return CHAIR_PRIORITY.index(code) if code in CHAIR_PRIORITY else len(CHAIR_PRIORITY)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0]
    return cut + "..."


# Characters of the GSM 03.38 basic set that are also ASCII; anything else costs a
# Unicode (UCS-2) SMS on an old phone, which cuts a text to 70 characters.
_GSM_ASCII = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                 " !\"#$%&'()*+,-./:;<=>?@_\n")
_GSM_SPANISH = set("\u00f1\u00d1\u00e9\u00c9\u00fc\u00dc\u00bf\u00a1")
_REPLACEMENTS = {"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                 "\u201d": '"', "\u2026": "...", "\u2265": ">=", "\u2264": "<=", "\u00d7": "x"}


def gsm_safe(text: str) -> str:
    """Plain-ASCII GSM-7 text: accents dropped (Pena for Pe\u00f1a), dashes and quotes simplified."""
    for char, plain in _REPLACEMENTS.items():
        text = text.replace(char, plain)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c in _GSM_ASCII)


def gsm_safe_spanish(text: str) -> str:
    """As gsm_safe, but the Spanish letters and marks that are in GSM-7 (n with tilde, e acute,
    u diaeresis, the inverted marks) stay."""
    return "".join(c if c in _GSM_SPANISH else gsm_safe(c) for c in text)
