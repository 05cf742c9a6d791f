"""How one verification-log entry is hashed, and the form in which it can be shown in public.

Two forms exist. The first (entries written before public proofs) hashes every column, phone
and staff name included, so nobody can check such an entry without seeing them. The second
hashes a salted commitment in their place: `private` = SHA-256(16 random bytes || [phone,
actor] as JSON). The salt never leaves the database, so the commitment cannot be reversed by
trying every phone number, while the chain still covers the two values (changing either
changes `private`, hence the hash). The public form of an entry is exactly the object whose
canonical JSON is hashed, so a verifier needs nothing from us but that object.
Pure standard library; the standalone public verifier repeats these few lines.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

PUBLIC_FORM = 2


def at_text(at: datetime) -> str:
    """The entry's time as it is hashed (microseconds, with its UTC offset)."""
    return at.isoformat(timespec="microseconds")


def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, ASCII only: the bytes that are hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def commitment(salt: str, phone: str | None, actor: str | None) -> str:
    """The salted commitment to who was behind an entry (hex SHA-256)."""
    return hashlib.sha256(bytes.fromhex(salt) + canonical([phone, actor])).hexdigest()


def public_form(seq: int, at: datetime, kind: str, precinct: str | None, private: str,
                detail: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    """The entry as it may be shown to anyone: its hash is SHA-256 of this object's canonical JSON."""
    return {"v": PUBLIC_FORM, "seq": seq, "at": at_text(at), "kind": kind, "precinct": precinct,
            "private": private, "detail": detail, "prev_hash": prev_hash}


def public_hash(form: dict[str, Any]) -> str:
    """The hash of an entry in its public form."""
    return hashlib.sha256(canonical(form)).hexdigest()


def first_form_hash(seq: int, at: datetime, kind: str, precinct: str | None, phone: str | None,
                    actor: str | None, detail: dict[str, Any], prev_hash: str) -> str:
    """The hash of an entry written before public proofs (every column, phone and actor included)."""
    payload = json.dumps([seq, at_text(at), kind, precinct, phone, actor, detail, prev_hash],
                         sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_hash(seq: int, at: datetime, kind: str, precinct: str | None, phone: str | None,
               actor: str | None, detail: dict[str, Any], prev_hash: str, salt: str | None) -> str:
    """The hash an entry must have: the public form's when it has a salt, else the first form's."""
    if salt is None:
        return first_form_hash(seq, at, kind, precinct, phone, actor, detail, prev_hash)
    form = public_form(seq, at, kind, precinct, commitment(salt, phone, actor), detail, prev_hash)
    return public_hash(form)
