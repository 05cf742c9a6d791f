"""The Ed25519 key that signs the verification log's checkpoints.

Where it comes from, in order: HOTLINE_LOG_SIGNING_KEY (the PEM text), else the file
`config.signing_key_path` (HOTLINE_LOG_SIGNING_KEY_FILE, default `<instance>/log-signing-key.pem`).
Outside production a missing file is made on first need (mode 0600); production never makes
one: a missing key is `MissingKey`, whose message says how to set it. Public keys of earlier
signing keys (HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS, base64 of the raw 32 bytes) are still accepted
when checking old checkpoints.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hotline.config import Config

logger = logging.getLogger(__name__)

ALGORITHM = "Ed25519"
ENV_KEY = "HOTLINE_LOG_SIGNING_KEY"
ENV_FILE = "HOTLINE_LOG_SIGNING_KEY_FILE"
ENV_PREVIOUS = "HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS"


class MissingKey(RuntimeError):
    """No signing key is configured (production), or the one configured cannot be read."""


def key_id(public_raw: bytes) -> str:
    """The first 16 hex characters of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # the 32 raw bytes

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @property
    def pem(self) -> str:
        return Ed25519PublicKey.from_public_bytes(self.raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    source: str            # "HOTLINE_LOG_SIGNING_KEY" or the file's path
    created: bool = False  # made just now (outside production, on first need)

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                                serialization.PublicFormat.Raw))

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def how_to_set(config: Config) -> str:
    return (f"set {ENV_KEY} to the key's PEM text, or {ENV_FILE} to a key file "
            f"(make one with `hotline log keygen --out FILE`, readable only by the hotline's user); "
            f"looked for {config.signing_key_path}")


def load(config: Config, create: bool | None = None) -> SigningKey:
    """The signing key; `create` (default: outside production only) makes a missing key file."""
    if config.log_signing_key:
        return SigningKey(_private_from_pem(config.log_signing_key, ENV_KEY), ENV_KEY)
    path = config.signing_key_path
    if path.exists():
        return _read(path)
    if create is None:
        create = not config.production
    if not create:
        raise MissingKey("No signing key for the verification log's checkpoints: " + how_to_set(config)
                         + (". Production never makes one by itself." if config.production else "."))
    try:
        key = generate_file(path)
    except FileExistsError:  # another process made it first
        return _read(path)
    logger.warning("made a new signing key for the log's checkpoints: %s (key id %s)", path, key.key_id)
    return key


def find(config: Config) -> SigningKey | None:
    """The signing key if one is configured or on disk; never makes one."""
    try:
        return load(config, create=False)
    except MissingKey:
        if config.log_signing_key or config.signing_key_path.exists():
            raise  # there is one, and it cannot be read: say so
        return None


def generate_file(path: Path) -> SigningKey:
    """Write a new key to `path` (mode 0600); FileExistsError if there is a file there already."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise FileExistsError(path)
    # Written beside it, then linked into place: no reader ever sees half a key, and the link
    # fails when someone else made the file in the meantime.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: create it exclusively instead
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.unlink(tmp)
    return SigningKey(private, str(path), created=True)


def previous_keys(config: Config) -> list[PublicKey]:
    """The earlier public keys still accepted (HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS)."""
    return [public_from_b64(text, ENV_PREVIOUS) for text in config.log_previous_public_keys]


def accepted(config: Config) -> dict[str, PublicKey]:
    """Key id -> public key: the current signing key (when there is one) and the previous ones."""
    keys = {k.key_id: k for k in previous_keys(config)}
    current = find(config)
    if current is not None:
        keys[current.key_id] = current.public
    return keys


def public_from_b64(text: str, where: str = "the public key") -> PublicKey:
    """A public key from base64 of its raw 32 bytes (a PEM public key is accepted too)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            loaded = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise MissingKey(f"{where} is not a readable PEM public key") from exc
        if not isinstance(loaded, Ed25519PublicKey):
            raise MissingKey(f"{where} is not an Ed25519 public key")
        return PublicKey(loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise MissingKey(f"{where}: {text[:60]!r} is not base64 of a 32-byte Ed25519 public key")
    return PublicKey(raw)


def _read(path: Path) -> SigningKey:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MissingKey(f"cannot read the log signing key {path}: {exc}") from exc
    mode = path.stat().st_mode & 0o077
    if mode:
        logger.warning("the log signing key %s can be read by other users (mode %o); chmod 600 it",
                       path, path.stat().st_mode & 0o777)
    return SigningKey(_private_from_pem(text, str(path)), str(path))


def _private_from_pem(text: str, where: str) -> Ed25519PrivateKey:
    if "\n" not in text.strip() and "\\n" in text:  # a PEM squeezed into one environment line
        text = text.replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.strip().encode() + b"\n", password=None)
    except (ValueError, TypeError) as exc:
        raise MissingKey(f"{where} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingKey(f"{where} is not an Ed25519 key (make one with `hotline log keygen`)")
    return key
