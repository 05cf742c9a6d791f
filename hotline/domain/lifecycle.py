"""The life of a report, from a chair's draft to the precinct's counting figures.

A *submission* is what one text, call or staff entry proposes: one or more stages with their
counts, waiting for its confirmation code. Its *reports* (one per stage) count only once the
submission is confirmed; a newer confirmed report for the same stage supersedes the older one,
and both stay in the history. The transitions below are the only ones the services make.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class SubmissionStatus(str, Enum):
    """Where a submission stands. The values are what the database stores."""

    AWAITING = "awaiting_confirmation"  # read back, waiting for YES and its code
    CONFIRMED = "confirmed"             # its reports are (or were) the precinct's figures
    REPLACED = "replaced"               # a newer draft for the same stages came in first
    CANCELLED = "cancelled"             # the chair texted NO or CANCEL
    REJECTED = "rejected"               # a staff entry another staff member turned down
    EXPIRED = "expired"                 # its code ran out before the right YES came
    LOCKED = "locked"                   # too many wrong codes
    # Not reports: a code staff send to a chair's phone to check who is on the line.
    IDENTITY_CHECK = "identity_check"
    IDENTITY_VERIFIED = "identity_verified"


class ReportStatus(str, Enum):
    """Where one stage's report stands. The values are what the database stores."""

    PENDING = "pending"        # its submission waits for confirmation
    CURRENT = "current"        # the precinct's counting figures for this stage
    SUPERSEDED = "superseded"  # a newer confirmed report for the stage replaced it
    DISCARDED = "discarded"    # its submission ended without confirmation


# Ways an unconfirmed submission ends without counting.
VOIDED = frozenset({SubmissionStatus.REPLACED, SubmissionStatus.CANCELLED, SubmissionStatus.REJECTED,
                    SubmissionStatus.EXPIRED, SubmissionStatus.LOCKED})
# A code that confirmed a report, or whose read-back a newer text replaced, is explained to a
# chair who sends it again rather than counted as a wrong try.
EXPLAINED_CODES = frozenset({SubmissionStatus.REPLACED, SubmissionStatus.CONFIRMED})


class LifecycleError(ValueError):
    """A transition the rules do not allow (a programming mistake, never a chair's)."""


def confirm(status: str) -> SubmissionStatus:
    """Only a submission waiting for its code can be confirmed."""
    if status != SubmissionStatus.AWAITING:
        raise LifecycleError(f"a {status} submission cannot be confirmed")
    return SubmissionStatus.CONFIRMED


def void(status: str, why: SubmissionStatus) -> tuple[SubmissionStatus, ReportStatus]:
    """End an unconfirmed submission; its reports never count. Returns the new statuses."""
    if why not in VOIDED:
        raise LifecycleError(f"{why.value} does not end a submission")
    if status != SubmissionStatus.AWAITING:
        raise LifecycleError(f"a {status} submission cannot become {why.value}")
    return why, ReportStatus.DISCARDED


def supersede(status: str) -> ReportStatus:
    """A current report that a newer confirmed one replaces."""
    if status != ReportStatus.CURRENT:
        raise LifecycleError(f"a {status} report cannot be superseded")
    return ReportStatus.SUPERSEDED


@dataclass(frozen=True)
class WrongCode:
    """A wrong code against one read-back: how many tries it has had, are left, and whether it locks."""

    attempts: int
    left: int
    locked: bool


def wrong_code(attempts: int, max_attempts: int) -> WrongCode:
    """Count one more wrong code; at `max_attempts` the read-back locks (the report is not recorded)."""
    attempts += 1
    left = max(0, max_attempts - attempts)
    return WrongCode(attempts, left, left == 0)


def counts_fingerprint(counts: Mapping[str, int]) -> str:
    """A stable digest of one stage's counts: equal counts, equal digests (order does not matter)."""
    return hashlib.sha256(json.dumps(sorted(counts.items())).encode()).hexdigest()
