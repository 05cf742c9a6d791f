"""Where worksheet photos are kept: content-addressed by SHA-256, in a local folder or S3.

A key is the hex SHA-256 of the bytes, so a put is idempotent (the same photo twice is one object)
and what is read back can be checked against its name. The local store writes
`<root>/ab/cd/<sha256>` atomically (a temporary file, fsync, rename); the S3 store writes
`<prefix>/<sha256>` in a bucket through boto3, on AWS or any S3-compatible server.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from hotline.config import Config

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MediaStoreError(RuntimeError):
    """The store could not be reached or refused the operation (a job retries it)."""


class MediaStore(Protocol):
    """What the photo jobs and the console use of a store."""

    def put(self, data: bytes, content_type: str) -> str: ...

    def get(self, sha256: str) -> bytes | None: ...

    def exists(self, sha256: str) -> bool: ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def valid_key(sha256: str) -> bool:
    """Whether `sha256` can name an object (64 lowercase hex digits: nothing else reaches a path)."""
    return bool(SHA256.match(sha256 or ""))


class LocalMediaStore:
    """Photos in a folder (by default `<instance>/media`), two levels of fan-out."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not valid_key(sha256):
            raise ValueError("not a SHA-256 key")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, content_type: str) -> str:
        key = digest(data)
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return key

    def get(self, sha256: str) -> bytes | None:
        if not valid_key(sha256):
            return None
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, sha256: str) -> bool:
        return valid_key(sha256) and self.path(sha256).is_file()


class S3MediaStore:
    """Photos in an S3 bucket under `prefix`, through boto3 (AWS, or `endpoint` for MinIO and the like)."""

    def __init__(self, bucket: str, prefix: str = "", endpoint: str | None = None, client: Any = None) -> None:
        import boto3  # only processes configured for S3 load it
        from botocore.config import Config as BotoConfig
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint,
            config=BotoConfig(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2}))

    def key(self, sha256: str) -> str:
        if not valid_key(sha256):
            raise ValueError("not a SHA-256 key")
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    def put(self, data: bytes, content_type: str) -> str:
        sha = digest(data)
        if self.exists(sha):
            return sha
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key(sha), Body=data, ContentType=content_type)
        except Exception as exc:  # noqa: BLE001 - botocore's many errors: the job retries
            raise MediaStoreError(f"could not store {sha} in s3://{self.bucket}: {exc}") from exc
        return sha

    def get(self, sha256: str) -> bytes | None:
        if not valid_key(sha256):
            return None
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        except Exception as exc:  # noqa: BLE001
            if _not_found(exc):
                return None
            raise MediaStoreError(f"could not read {sha256} from s3://{self.bucket}: {exc}") from exc

    def exists(self, sha256: str) -> bool:
        if not valid_key(sha256):
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except Exception as exc:  # noqa: BLE001
            if _not_found(exc):
                return False
            raise MediaStoreError(f"could not reach s3://{self.bucket}: {exc}") from exc


def _not_found(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix)."""
    rest = url[len("s3://"):] if url.startswith("s3://") else ""
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"{url!r} names no bucket; use s3://bucket/prefix")
    return bucket, prefix.strip("/")


def make_media_store(config: Config) -> MediaStore:
    """The store `config` names: S3 when HOTLINE_MEDIA_URL is set, else the instance folder."""
    if config.media_url:
        bucket, prefix = parse_s3_url(config.media_url)
        return S3MediaStore(bucket, prefix, config.media_s3_endpoint)
    return LocalMediaStore(config.media_path)
