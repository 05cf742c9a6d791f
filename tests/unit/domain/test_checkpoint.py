"""The checkpoint document and the RFC 9162 Merkle tree hash (standard library only)."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.domain import checkpoint as cp
from hotline.domain.checkpoint import MalformedCheckpoint, MerkleFrontier, merkle_root

# The Certificate Transparency test vectors (RFC 6962 / RFC 9162 tree hashes of these leaves).
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, word for word (recursive)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


@pytest.mark.parametrize("n", range(len(CT_ROOTS)))
def test_the_merkle_root_is_rfc_9162s_on_the_certificate_transparency_vectors(n):
    assert merkle_root(bytes.fromhex(x) for x in CT_LEAVES[:n]).hex() == CT_ROOTS[n]


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_the_frontier_gives_the_tree_hash_of_every_prefix(leaves):
    tree = MerkleFrontier()
    assert tree.root() == mth([])
    for i, leaf in enumerate(leaves, 1):
        tree.add(leaf)
        assert tree.size == i and tree.root() == mth(leaves[:i])


def test_the_root_agrees_with_pymerkle_when_it_is_installed():
    pymerkle = pytest.importorskip("pymerkle")
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(300)]
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for leaf in leaves:
        tree.append_entry(leaf)
    for size in (1, 2, 3, 127, 128, 129, 300):
        assert tree.get_root(size) == merkle_root(leaves[:size])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 65, 300])
def test_every_inclusion_proof_checks_and_a_wrong_leaf_or_index_does_not(n):
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
    levels = cp.MerkleLevels(leaves)
    assert levels.root() == merkle_root(leaves)
    for size in sorted({1, n // 2 or 1, n}):
        root = merkle_root(leaves[:size])
        for i in range(size):
            path = levels.inclusion_proof(i, size)
            assert cp.verify_inclusion(leaves[i], i, size, path, root)
            assert len(path) <= max(1, size - 1).bit_length()
            if size > 1:
                assert not cp.verify_inclusion(leaves[(i + 1) % size], i, size, path, root)
                assert not cp.verify_inclusion(leaves[i], (i + 1) % size, size, path, root)
                assert not cp.verify_inclusion(leaves[i], i, size, path[:-1], root)


def test_an_inclusion_proof_outside_the_tree_is_refused():
    levels = cp.MerkleLevels([b"a", b"b", b"c"])
    with pytest.raises(IndexError):
        levels.inclusion_proof(3)
    with pytest.raises(IndexError):
        levels.inclusion_proof(0, 4)
    assert not cp.verify_inclusion(b"a", 5, 3, [], levels.root())


def test_inclusion_proofs_agree_with_pymerkle_when_it_is_installed():
    pymerkle = pytest.importorskip("pymerkle")
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(300)]
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for leaf in leaves:
        tree.append_entry(leaf)
    levels = cp.MerkleLevels(leaves)
    for size in (1, 2, 3, 127, 128, 129, 300):
        for index in {0, size // 2, size - 1}:
            theirs = tree.prove_inclusion(index + 1, size).serialize()["path"][1:]  # 1-based, leaf first
            assert [h.hex() for h in levels.inclusion_proof(index, size)] == theirs


def _signed(size: int = 12, head: str = "ab" * 32) -> cp.Checkpoint:
    body = cp.unsigned(size, head, b"\x01" * 32, datetime(2020, 2, 3, 19, 4, 5, tzinfo=timezone.utc),
                       "0123456789abcdef")
    return cp.signed(body, b"\x07" * 64)


def test_the_document_round_trips_and_signs_every_field_but_the_signature():
    doc = _signed()
    assert cp.parse(doc.to_json()) == doc
    data = json.loads(doc.to_json())
    assert list(data) == list(cp.FIELDS)
    assert data["time"] == "2020-02-03T19:04:05Z" and data["algorithm"] == "Ed25519" and data["version"] == 1
    signed = json.loads(doc.signed_bytes())
    assert set(signed) == set(cp.FIELDS) - {"signature"}
    assert doc.signed_bytes() == (b'{"algorithm":"Ed25519","head_hash":"' + b"ab" * 32
                                  + b'","key_id":"0123456789abcdef","log_size":12,"merkle_root":"' + b"01" * 32
                                  + b'","time":"2020-02-03T19:04:05Z","version":1}')
    assert doc.file_name() == "checkpoint-000000000012.json"


@pytest.mark.parametrize("change, complaint", [
    (lambda d: d.pop("head_hash"), "missing head_hash"),
    (lambda d: d.update(phone="+15155550100"), "unexpected phone"),
    (lambda d: d.update(version=2), "version 2"),
    (lambda d: d.update(log_size=0), "log_size 0"),
    (lambda d: d.update(log_size=True), "log_size True"),
    (lambda d: d.update(head_hash="xyz"), "head_hash"),
    (lambda d: d.update(algorithm="RSA"), "algorithm"),
    (lambda d: d.update(signature=base64.b64encode(b"short").decode()), "signature"),
])
def test_a_malformed_document_is_refused_with_the_reason(change, complaint):
    data = json.loads(_signed().to_json())
    change(data)
    with pytest.raises(MalformedCheckpoint, match=complaint):
        cp.parse(json.dumps(data))
    with pytest.raises(MalformedCheckpoint, match="not JSON"):
        cp.parse("{")


def _seen(hashes: list[str]) -> tuple[int, dict[int, tuple[str, str]]]:
    """What the service observes for a log whose entry hashes are `hashes`."""
    tree, seen = MerkleFrontier(), {}
    for h in hashes:
        tree.add(bytes.fromhex(h))
        seen[tree.size] = (h, tree.root().hex())
    return len(hashes), seen


def _checkpoint_of(hashes: list[str]) -> cp.Checkpoint:
    size, seen = _seen(hashes)
    body = cp.unsigned(size, hashes[-1], bytes.fromhex(seen[size][1]), datetime(2020, 2, 3, tzinfo=timezone.utc),
                       "0123456789abcdef")
    return cp.signed(body, b"\x00" * 64)


LOG = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(1, 13)]


def test_a_log_that_grew_extends_the_checkpoint():
    found = cp.compare(_checkpoint_of(LOG[:10]), *_seen(LOG))
    assert found.ok and "The log (12 entries) extends the checkpoint of 10 entries" in found.message()


def test_a_shorter_log_was_rolled_back_and_the_earlier_checkpoint_bounds_where():
    others = [_checkpoint_of(LOG[:4])]
    found = cp.compare(_checkpoint_of(LOG[:12]), *_seen(LOG[:9]), others)
    assert not found.ok
    assert found.problem.startswith("rolled back or truncated: the log has 9 entries, the checkpoint signed 12 at "
                                    "2020-02-03T00:00:00Z")
    assert "the log matches the checkpoint of 4 entries, so the first difference is between entries 5 and 12" \
        in found.problem


def test_a_rewritten_log_names_the_range_between_the_checkpoints():
    forged = LOG[:6] + [hashlib.sha256(b"forged" + str(i).encode()).hexdigest() for i in range(6, 12)]
    others = [_checkpoint_of(LOG[:3]), _checkpoint_of(LOG[:5]), _checkpoint_of(LOG[:8])]
    found = cp.compare(_checkpoint_of(LOG), *_seen(forged), others)
    assert found.problem.startswith("rewritten or forked: entry 12 is not the one the checkpoint signed")
    assert found.matches_up_to == 5 and found.differs_by == 8
    assert "between entries 6 and 8" in found.problem
    alone = cp.compare(_checkpoint_of(LOG), *_seen(forged))
    assert "no earlier checkpoint matches, so the first difference is between entries 1 and 12" in alone.problem


def test_the_same_head_with_another_merkle_root_is_a_rewrite_too():
    doc = _checkpoint_of(LOG)
    size, seen = _seen(LOG)
    seen[12] = (LOG[-1], "00" * 32)
    assert "the Merkle root over entries 1 to 12 is not the signed one" in cp.compare(doc, size, seen).problem
