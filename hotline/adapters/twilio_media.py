"""Downloading one MMS media file from Twilio: authenticated, time-limited, size-capped, streamed.

Twilio's media URL (on api.twilio.com) answers with a redirect to the file on its storage; the
first request carries the account's credentials (HTTP basic auth), the redirect's target gets
none and must be https. Anything else (another host, a plain-http hop, too many hops) is refused
before a byte is read.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from hotline.domain import media
from hotline.domain.twilio_request import media_url_ok

TIMEOUT_SECONDS = 10.0  # to connect, between bytes, and for the whole download
MAX_REDIRECTS = 3
CHUNK = 64 * 1024


class MediaRefused(Exception):
    """The media is not something we keep: `reason` is "not_picture", "too_large" or "host"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class MediaUnavailable(Exception):
    """The download failed (network, timeout, an error answer): worth trying again later."""


@dataclass(frozen=True)
class Media:
    content_type: str  # the picture type, checked against the bytes
    data: bytes


def download(url: str, *, account_sid: str | None, auth_token: str | None, max_bytes: int,
             extra_base: str | None = None, timeout: float | None = None) -> Media:
    """The picture at `url`; MediaRefused when it is not one we keep, MediaUnavailable when the
    download failed."""
    if not media_url_ok(url, extra_base):
        raise MediaRefused("host", "not a Twilio media URL")
    auth = (account_sid, auth_token) if account_sid and auth_token else None
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        session.trust_env = False  # no proxies or netrc credentials from the environment
        current, hops = url, 0
        while True:
            try:
                resp = session.get(current, auth=auth if hops == 0 else None, stream=True,
                                   allow_redirects=False, timeout=timeout)
            except requests.RequestException as exc:
                raise MediaUnavailable(f"download failed: {type(exc).__name__}") from exc
            with resp:
                if resp.is_redirect:
                    hops += 1
                    target = urljoin(current, resp.headers.get("Location", ""))
                    if hops > MAX_REDIRECTS or urlsplit(target).scheme != "https":
                        raise MediaRefused("host", "redirected too often or away from https")
                    current = target
                    continue
                if resp.status_code != 200:
                    raise MediaUnavailable(f"Twilio answered {resp.status_code}")
                return _read(resp, max_bytes, deadline)


def _read(resp: requests.Response, max_bytes: int, deadline: float) -> Media:
    declared = resp.headers.get("Content-Type")
    if media.declared_type(declared) not in media.IMAGE_TYPES + ("image/jpg",):
        raise MediaRefused("not_picture", f"not a picture ({media.declared_type(declared) or 'no type'})")
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise MediaRefused("too_large", f"{int(length)} bytes, over the limit of {max_bytes}")
    body = bytearray()
    try:
        for chunk in resp.iter_content(CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise MediaRefused("too_large", f"over the limit of {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise MediaUnavailable("download took too long")
    except requests.RequestException as exc:
        raise MediaUnavailable(f"download broke off: {type(exc).__name__}") from exc
    kind = media.picture_type(declared, bytes(body[:media.SNIFF_BYTES]))
    if kind is None:
        raise MediaRefused("not_picture", f"not a picture (its bytes are not a {media.declared_type(declared)})")
    return Media(kind, bytes(body))
