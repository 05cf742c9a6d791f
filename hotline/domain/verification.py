"""Verification rules: PINs, one-time confirmation codes, expiry and attempt limits."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

CODE_DIGITS = 4
# A 4-digit PIN can be brute-forced offline whatever the hash, so the cost is kept low
# (roster imports of thousands of chairs stay fast); attempt limits and the callback to
# the registered phone are the real protection. Hashing keeps PINs out of plain sight.
PIN_ITERATIONS = 2_000
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def normalize_phone(raw: str, default_country: str = "1") -> str | None:
    """Return an E.164 number for common US forms ("(515) 555-0142", "515.555.0142"), else None."""
    digits = re.sub(r"[^\d+]", "", raw or "")
    if digits.startswith("+"):
        candidate = "+" + digits[1:].replace("+", "")
    elif len(digits) == 10:
        candidate = f"+{default_country}{digits}"
    elif len(digits) == 11 and digits.startswith(default_country):
        candidate = "+" + digits
    else:
        return None
    return candidate if _E164.match(candidate) else None


def hash_pin(pin: str, salt: str | None = None) -> str:
    """Salted PBKDF2 of a PIN, as `pbkdf2$iterations$salt$hex`."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), PIN_ITERATIONS).hex()
    return f"pbkdf2${PIN_ITERATIONS}${salt}${digest}"


def check_pin(pin: str, stored: str) -> bool:
    """Constant-time comparison of a PIN against its stored hash."""
    try:
        _, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


def new_code(digits: int = CODE_DIGITS) -> str:
    """A random one-time code; never starts with 0 so chairs don't drop a leading zero."""
    return str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))


def hash_code(code: str, key: str) -> str:
    """Keyed hash of a confirmation code (codes are short-lived, so HMAC suffices)."""
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


class CodeCheck(str, Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong attempts
    USED = "used"


@dataclass(frozen=True)
class CodeState:
    """What the checker needs to know about an issued code."""

    code_hash: str
    expires_at: datetime
    attempts: int
    used: bool


def check_code(given: str, state: CodeState, key: str, now: datetime, max_attempts: int) -> CodeCheck:
    """Judge a code a chair sent back; the caller records a WRONG as one more attempt."""
    if state.used:
        return CodeCheck.USED
    if state.attempts >= max_attempts:
        return CodeCheck.LOCKED
    if now >= state.expires_at:
        return CodeCheck.EXPIRED
    if hmac.compare_digest(hash_code(given.strip(), key), state.code_hash):
        return CodeCheck.OK
    return CodeCheck.WRONG


def worth_resending(state: CodeState, now: datetime, max_attempts: int, ttl_seconds: int) -> bool:
    """Whether a chair who sends the same report again should get this code again, not a new one.

    Its read-back may still be on its way (or lost); a new code would turn that read-back into a
    refused "replaced" YES. A code with under a third of its life left is not worth keeping.
    """
    if state.used or state.attempts >= max_attempts:
        return False
    return state.expires_at - now >= timedelta(seconds=ttl_seconds / 3)


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)


def phone_tail(phone: str) -> str:
    """The last four digits, enough for a chair to recognise a number without exposing it."""
    return phone[-4:]
