"""A local stand-in for Twilio's Messages API, for tests and drills (never production).

The real `twilio` client is pointed at it (TWILIO_API_BASE_URL); it answers like Twilio:
201 with a message resource, or an error body with Twilio's code. Failures can be scripted.
"""
from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


@dataclass
class StandIn:
    """Records every message created; `failures` holds (http_status, twilio_code) to answer next."""

    messages: list[dict[str, str]] = field(default_factory=list)
    failures: deque[tuple[int, int]] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BaseWSGIServer | None = None

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        with self.lock:
            failure = self.failures.popleft() if self.failures else None
        if request.method != "POST" or not request.path.endswith("/Messages.json"):
            return Response(json.dumps({"code": 20404, "message": "not found", "status": 404}),
                            status=404, mimetype="application/json")(environ, start_response)
        if request.authorization is None:
            return Response(json.dumps({"code": 20003, "message": "Authenticate", "status": 401}),
                            status=401, mimetype="application/json")(environ, start_response)
        if failure:
            status, code = failure
            body = {"code": code, "message": f"stand-in error {code}", "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}
            return Response(json.dumps(body), status=status, mimetype="application/json")(environ, start_response)
        form = request.form.to_dict()
        sid = "SM" + uuid.uuid4().hex
        with self.lock:
            self.messages.append({**form, "sid": sid})
        body = {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                "body": form.get("Body"), "num_segments": "1", "messaging_service_sid": form.get("MessagingServiceSid")}
        return Response(json.dumps(body), status=201, mimetype="application/json")(environ, start_response)

    def start(self, port: int = 0) -> str:
        """Serve on loopback in a background thread; returns the base URL."""
        self.server = make_server("127.0.0.1", port, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
