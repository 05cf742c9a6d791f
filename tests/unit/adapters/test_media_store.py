"""The media store: content-addressed by SHA-256, locally and in S3-compatible storage (moto's
server over real HTTP)."""
from __future__ import annotations

import hashlib
import uuid

import pytest

from hotline.adapters.media_store import LocalMediaStore, S3MediaStore, make_media_store, parse_s3_url
from hotline.config import Config, ConfigError
from tests.support.media import JPEG, PNG, make_bucket, s3_endpoint  # noqa: F401


def test_local_store_round_trip_is_content_addressed_and_idempotent(tmp_path):
    store = LocalMediaStore(tmp_path / "media")
    sha = store.put(PNG, "image/png")
    assert sha == hashlib.sha256(PNG).hexdigest()
    assert (tmp_path / "media" / sha[:2] / sha[2:4] / sha).read_bytes() == PNG
    assert store.exists(sha) and store.get(sha) == PNG
    assert store.put(PNG, "image/png") == sha  # the same photo again: the same object, untouched
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert files == [tmp_path / "media" / sha[:2] / sha[2:4] / sha]  # no temporary file left
    other = store.put(JPEG, "image/jpeg")
    assert other != sha and store.get(other) == JPEG


def test_local_store_answers_nothing_for_unknown_or_malformed_keys(tmp_path):
    store = LocalMediaStore(tmp_path)
    assert store.get("0" * 64) is None and not store.exists("0" * 64)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        assert store.get(bad) is None and not store.exists(bad)


def test_the_instance_folder_is_the_default_store(tmp_path):
    store = make_media_store(Config(instance_path=tmp_path))
    assert isinstance(store, LocalMediaStore) and store.root == tmp_path / "media"


def test_s3_urls_are_read_and_checked():
    assert parse_s3_url("s3://photos/caucus/2020/") == ("photos", "caucus/2020")
    assert parse_s3_url("s3://photos") == ("photos", "")
    with pytest.raises(ConfigError):
        Config(media_url="https://photos.example/").validate()
    env = {"HOTLINE_MEDIA_URL": "s3://photos/night", "HOTLINE_MEDIA_S3_ENDPOINT": "http://127.0.0.1:9000",
           "HOTLINE_MEDIA_MAX_BYTES": "1000"}
    cfg = Config.from_env(env)
    assert (cfg.media_url, cfg.media_s3_endpoint, cfg.media_max_bytes) == ("s3://photos/night",
                                                                           "http://127.0.0.1:9000", 1000)
    assert Config.from_env({}).media_max_bytes == 5 * 1024 * 1024


def test_s3_store_round_trip_and_idempotence(s3_endpoint):  # noqa: F811
    bucket = f"photos-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_endpoint, bucket)
    store = make_media_store(Config(media_url=f"s3://{bucket}/night/2020", media_s3_endpoint=s3_endpoint))
    assert isinstance(store, S3MediaStore)
    sha = store.put(JPEG, "image/jpeg")
    assert sha == hashlib.sha256(JPEG).hexdigest()
    assert store.exists(sha) and store.get(sha) == JPEG
    assert store.put(JPEG, "image/jpeg") == sha
    head = store.client.head_object(Bucket=bucket, Key=f"night/2020/{sha}")
    assert head["ContentType"] == "image/jpeg" and head["ContentLength"] == len(JPEG)
    listed = store.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"night/2020/{sha}"]  # one object, however many puts
    assert store.get("0" * 64) is None and not store.exists("0" * 64)
    assert store.get("../x") is None
