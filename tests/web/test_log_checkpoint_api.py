"""The public checkpoint and key endpoints: what an outside verifier downloads and keeps."""
from __future__ import annotations

import base64
import json
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.adapters import checkpoint_store, log_keys
from hotline.domain import checkpoint as cp_doc
from hotline.services.log import chain, checkpoints

PHONE = "+15155550142"


def _log_a_text(rt) -> None:
    with rt.db.transaction() as uow:
        chain.record(uow.session, "text_received", precinct="DSM-42", phone=PHONE, body="DSM-42 YES 1234")
        chain.record(uow.session, "report_confirmed", precinct="DSM-42", phone=PHONE, actor="chair")


def test_no_checkpoint_yet_is_a_404_with_a_message(client):
    resp = client.get("/api/log/checkpoint")
    assert resp.status_code == 404 and resp.is_json
    assert "No checkpoint" in resp.get_json()["error"]


def test_the_latest_checkpoint_is_served_as_signed_without_personal_data(rt, client):
    _log_a_text(rt)
    taken = checkpoints.take(rt.units, rt.redis).checkpoint
    resp = client.get("/api/log/checkpoint")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "max-age" in resp.headers["Cache-Control"]
    body = resp.get_data(as_text=True)
    assert body == taken.to_json()
    assert PHONE not in body and "5155550142" not in body and "DSM-42" not in body
    assert set(json.loads(body)) == set(cp_doc.FIELDS)
    # An outsider checks it with the published key alone.
    key = client.get("/api/log/public-key").get_json()
    doc = cp_doc.parse(body)
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(
        base64.b64decode(doc.signature), doc.signed_bytes())  # raises if it does not verify
    assert key["key_id"] == doc.key_id


def test_the_web_falls_back_to_latest_json_when_redis_has_none(rt, client):
    _log_a_text(rt)
    taken = checkpoints.take(rt.units, rt.redis).checkpoint
    rt.redis.delete(checkpoint_store.REDIS_KEY)
    assert client.get("/api/log/checkpoint").get_data(as_text=True) == taken.to_json()


def test_the_public_key_endpoint_gives_id_base64_pem_and_previous_keys(rt, client, tmp_path):
    old = log_keys.generate_file(tmp_path / "old.pem")
    rt.config = replace(rt.config, log_previous_public_keys=(old.public.b64,))
    data = client.get("/api/log/public-key").get_json()
    current = log_keys.load(rt.config)
    assert data["algorithm"] == "Ed25519" and data["key_id"] == current.key_id
    assert base64.b64decode(data["public_key"]) == current.public.raw
    assert data["pem"].startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in json.dumps(data)
    assert data["previous"] == [{"key_id": old.key_id, "public_key": old.public.b64}]


def test_in_production_without_a_key_the_public_key_endpoint_says_so(rt, client):
    rt.config = replace(rt.config, env="production")
    resp = client.get("/api/log/public-key")
    assert resp.status_code == 503 and "No signing key" in resp.get_json()["error"]
    assert not rt.config.signing_key_path.exists()
