"""Stand-ins for worksheet photos: Twilio's media host (a small threaded HTTP server that checks
basic auth and serves set bytes) and a local S3-compatible server (moto's, over real HTTP)."""
from __future__ import annotations

import base64
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotline.config import Config
from tests.support.stack import ACCOUNT_SID, TOKEN

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8   # what the sniffing sees: a PNG
JPEG = b"\xff\xd8\xff\xe0" + b"worksheet" * 300


@dataclass
class Answer:
    status: int = 200
    content_type: str = "image/png"
    body: bytes = PNG
    length: bool = True          # send Content-Length (else the body streams until the connection closes)
    stall: float = 0.0           # seconds to wait before answering
    location: str | None = None  # a redirect's target


@dataclass
class TwilioMedia:
    """Twilio's media host as the tests set it: path -> answer; every request is noted."""

    base: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    hits: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, answer: Answer) -> str:
        self.answers[path] = answer
        return self.url(path)

    def paths(self) -> list[str]:
        return [p for p, _ in self.hits]


def _handler(state: TwilioMedia) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's name for it
            auth = self.headers.get("Authorization")
            state.hits.append((self.path, auth))
            answer = state.answers.get(self.path)
            if auth != expected:
                answer = Answer(401, "application/json", b'{"code": 20003}')
            elif answer is None:
                answer = Answer(404, "application/json", b'{"code": 20404}')
            if answer.stall:
                time.sleep(answer.stall)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            if answer.location:
                self.send_header("Location", answer.location)
            if answer.length:
                self.send_header("Content-Length", str(len(answer.body)))
            else:
                self.close_connection = True
            self.end_headers()
            try:
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (over the size limit, or timed out)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def twilio_media() -> Iterator[TwilioMedia]:
    """A stand-in for Twilio's media host on a free local port."""
    state = TwilioMedia()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def with_media(config: Config, media: TwilioMedia, **more: object) -> Config:
    """The settings that point the photo job at the stand-in, with the account's credentials."""
    return replace(config, twilio_account_sid=ACCOUNT_SID, twilio_api_base_url=media.base, **more)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto's, a real HTTP server) and credentials it accepts."""
    from moto.server import ThreadedMotoServer
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def make_bucket(endpoint: str, name: str) -> None:
    import boto3
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
