"""A local stand-in for Twilio's Messages API, for tests and drills (never production).

The real `twilio` client is pointed at it (TWILIO_API_BASE_URL). It answers like Twilio: 201
with a message resource, or an error body with Twilio's code; failures can be scripted or drawn
at random. It also keeps "inbound" messages (what phones sent to our numbers) so the
reconciliation job can list them, and can push each outbound text to a Redis list per phone
so drill clients can read their replies the way a phone would. It serves MMS media too
(`.../Messages/MM.../Media/ME...`, with the account's basic auth), as the hotline's photo job fetches it.
"""
from __future__ import annotations

import argparse
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any, Callable

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from hotline_drill.cluster import ACCOUNT_SID


# A stand-in worksheet photo: what a phone's camera sends starts like this (JPEG/JFIF).
WORKSHEET_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"signed worksheet " * 200 + b"\xff\xd9"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@dataclass
class StandIn:
    """Records messages; `failures` holds (http_status, twilio_code) to answer next."""

    messages: list[dict[str, str]] = field(default_factory=list)
    inbound: list[dict[str, str]] = field(default_factory=list)
    failures: deque[tuple[int, int]] = field(default_factory=deque)
    fail_rate: float = 0.0    # share of creates answered 500/429 at random
    slow_rate: float = 0.0    # share of creates that hang past the client's timeout
    slow_seconds: float = 12.0
    on_message: Callable[[dict[str, str]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BaseWSGIServer | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    # MMS media by their ME... sid: (content type, bytes); any other media sid gets WORKSHEET_JPEG.
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path == "/drill/inbound" and request.method == "POST":
            return self._record_inbound(request)
        if "/Messages/" in request.path and "/Media/" in request.path and request.method == "GET":
            return self._media(request)
        if not request.path.endswith("/Messages.json"):
            return _json({"code": 20404, "message": "not found", "status": 404}, 404)
        if request.authorization is None:
            return _json({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        if request.method == "GET":
            return self._list(request)
        return self._create(request)

    def _media(self, request: Request) -> Response:
        if request.authorization is None:
            return _json({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        content_type, body = self.media.get(request.path.rsplit("/", 1)[-1], ("image/jpeg", WORKSHEET_JPEG))
        return Response(body, status=200, mimetype=content_type)

    def _injected_failure(self) -> tuple[int, int] | None:
        with self.lock:
            if self.failures:
                return self.failures.popleft()
            roll = self.rng.random()
        if roll < self.fail_rate:
            return (429, 20429) if roll < self.fail_rate / 2 else (500, 20500)
        if roll < self.fail_rate + self.slow_rate:
            time.sleep(self.slow_seconds)  # the client times out; Twilio may or may not have sent
        return None

    def _create(self, request: Request) -> Response:
        # A hung create is modelled as Twilio taking the message on arrival and the answer getting
        # lost, so it is stamped (and counted against its number's rate) when it arrived.
        arrived = time.time()
        failure = self._injected_failure()
        if failure:
            status, code = failure
            return _json({"code": code, "message": f"stand-in error {code}", "status": status,
                          "more_info": f"https://www.twilio.com/docs/errors/{code}"}, status)
        form = request.form.to_dict()
        sid = "SM" + uuid.uuid4().hex
        record = {**form, "sid": sid, "sent_at": f"{arrived:.6f}"}
        with self.lock:
            self.messages.append(record)
        if self.on_message:
            self.on_message(record)
        return _json({"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                      "body": form.get("Body"), "num_segments": "1", "direction": "outbound-api",
                      "messaging_service_sid": form.get("MessagingServiceSid")}, 201)

    def _record_inbound(self, request: Request) -> Response:
        form = request.form.to_dict()
        form.setdefault("date_sent", format_datetime(datetime.now(timezone.utc)))
        with self.lock:
            self.inbound.append(form)
        return _json({"ok": True}, 201)

    def _list(self, request: Request) -> Response:
        after = request.args.get("DateSent>")  # the client sends ISO 8601, as Twilio expects
        cutoff = datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if after else None
        to = request.args.get("To")
        after_ts = cutoff.timestamp() if cutoff else float("-inf")
        # Filtered before anything is built: the drill's hotline lists every sending number once a
        # minute, and building all of a night's messages for each call took a third of a core on
        # the hotline's own machine (on the night Twilio does this work on its own servers).
        with self.lock:
            inbound = [m for m in self.inbound if (not to or m.get("To", "") == to)
                       and (cutoff is None or parsedate_to_datetime(m["date_sent"]) > cutoff)]
            outbound = [m for m in self.messages if (not to or m.get("To", "") == to)
                        and float(m["sent_at"]) > after_ts]
        page = [{"sid": m["MessageSid"], "from": m["From"], "to": m.get("To", ""), "body": m.get("Body", ""),
                 "num_media": m.get("NumMedia", "0"), "direction": "inbound", "status": "received",
                 "date_sent": m["date_sent"], "account_sid": ACCOUNT_SID} for m in inbound]
        # Like Twilio's log, texts we were asked to send are listed too (with when they went).
        page += [{"sid": m["sid"], "from": m.get("From", ""), "to": m.get("To", ""), "body": m.get("Body", ""),
                  "num_media": "0", "direction": "outbound-api", "status": "sent",
                  "date_sent": format_datetime(datetime.fromtimestamp(float(m["sent_at"]), timezone.utc)),
                  "account_sid": ACCOUNT_SID} for m in outbound]
        return _json({"messages": page, "next_page_uri": None, "page": 0, "page_size": len(page),
                      "first_page_uri": request.full_path, "previous_page_uri": None,
                      "uri": request.full_path, "start": 0, "end": len(page)})

    def start(self, port: int = 0) -> str:
        """Serve on loopback in a background thread; returns the base URL."""
        self.server = make_server("127.0.0.1", port, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def main() -> None:
    """Run the stand-in as its own process (the drill does this)."""
    parser = argparse.ArgumentParser(description="Local Twilio Messages API stand-in")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", help="push each outbound text to drill:phone:<To> here")
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--slow-rate", type=float, default=0.0)
    args = parser.parse_args()
    standin = StandIn(fail_rate=args.fail_rate, slow_rate=args.slow_rate)
    if args.redis_url:
        from redis import Redis
        redis = Redis.from_url(args.redis_url)

        def push(record: dict[str, str]) -> None:
            pipe = redis.pipeline()
            pipe.rpush(f"drill:phone:{record.get('To')}", json.dumps(record))
            pipe.rpush("drill:sent", json.dumps([record.get("From") or record.get("MessagingServiceSid"),
                                                 float(record["sent_at"])]))
            pipe.execute()
        standin.on_message = push
    server = make_server("127.0.0.1", args.port, standin, threaded=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
