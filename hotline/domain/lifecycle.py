"""The life of a report: from a chair's draft to the precinct's counting figures."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping


def counts_fingerprint(counts: Mapping[str, int]) -> str:
    """A stable digest of one stage's counts: equal counts, equal digests (order does not matter)."""
    return hashlib.sha256(json.dumps(sorted(counts.items())).encode()).hexdigest()
