"""An entry's hash: its public form hides phone and actor behind a salted commitment."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from hotline.domain import log_entry as le

AT = datetime(2020, 2, 3, 20, 15, 4, 123456, tzinfo=timezone.utc)
DETAIL = {"stages": {"final": {"Sanders": 20, "Warren": 15}}, "source": "sms"}
SALT = "00112233445566778899aabbccddeeff"


def _hash(**changes):
    args = dict(seq=7, at=AT, kind="report_confirmed", precinct="DSM-6", phone="+15155550100",
                actor="chair", detail=DETAIL, prev_hash="ab" * 32, salt=SALT)
    args.update(changes)
    return le.entry_hash(**args)


def test_the_public_form_gives_the_stored_hash_without_phone_or_actor():
    form = le.public_form(7, AT, "report_confirmed", "DSM-6", le.commitment(SALT, "+15155550100", "chair"),
                          DETAIL, "ab" * 32)
    text = json.dumps(form)
    assert "5550100" not in text and "chair" not in text
    assert le.public_hash(form) == _hash()
    # The hash is SHA-256 of the canonical JSON of exactly that object: anyone can recompute it.
    canonical = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    assert hashlib.sha256(canonical).hexdigest() == _hash()


def test_every_column_is_covered_by_the_hash():
    base = _hash()
    for change in ({"phone": "+15155550101"}, {"actor": "mallory"}, {"detail": {**DETAIL, "source": "voice"}},
                   {"seq": 8}, {"kind": "staff_approved"}, {"precinct": "DSM-7"}, {"prev_hash": "cd" * 32},
                   {"at": AT.replace(microsecond=0)}, {"salt": "ff" * 16}):
        assert _hash(**change) != base, change


def test_entries_without_a_salt_keep_their_first_form():
    first = le.first_form_hash(7, AT, "report_confirmed", "DSM-6", "+15155550100", "chair", DETAIL, "ab" * 32)
    assert _hash(salt=None) == first != _hash()


def test_the_commitment_differs_by_salt_so_phones_cannot_be_guessed_from_it():
    assert le.commitment(SALT, "+15155550100", None) != le.commitment("ff" * 16, "+15155550100", None)
