"""Sending SMS: through Twilio's REST API when configured, otherwise into the local outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.config import Config

# Twilio error codes that will never succeed on retry (opted out, invalid or unreachable number).
PERMANENT_CODES = {21211, 21214, 21217, 21401, 21407, 21408, 21610, 21612, 21614, 30003, 30004,
                   30005, 30006, 30007}


@dataclass(frozen=True)
class Sent:
    sid: str | None
    status: str


@dataclass(frozen=True)
class Received:
    """An inbound text as Twilio's message log lists it."""

    sid: str
    from_number: str
    to_number: str
    body: str
    num_media: int


class SendError(Exception):
    """A send that failed; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, code: str | None, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class Sender(Protocol):
    def routes(self) -> list[str]:
        """The sending identities (numbers, or one Messaging Service) a message may go out on."""

    def send(self, to: str, body: str, status_callback: str | None, route: str) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        """This text to `to`, if it was handed over since `since` (None: it was not)."""

    def received_since(self, since: datetime) -> list[Received]:
        """Inbound texts Twilio received on our numbers since `since` (none without Twilio)."""


class OutboxSender:
    """No Twilio account: the message stays in our outbox table, shown by the UI and CLI."""

    def routes(self) -> list[str]:
        return ["outbox"]

    def send(self, to: str, body: str, status_callback: str | None, route: str) -> Sent:
        return Sent(sid=None, status="outbox")

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        return None  # the outbox "send" only marks the row, so an unfinished one never happened

    def received_since(self, since: datetime) -> list[Received]:
        return []  # without Twilio every text arrives through the webhook or not at all


class TwilioSender:
    """Twilio's REST client; several sending numbers are used in turn."""

    def __init__(self, config: Config) -> None:
        # Twilio answers a create in well under a second; a hung request must not hold a sender
        # (and the confirmations queued behind it) for long. A timed-out send is retried.
        http = TwilioHttpClient(timeout=5)
        self.client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http)
        if config.twilio_api_base_url:
            # Tests and the drill point the real client at a local stand-in.
            self.client.api.base_url = config.twilio_api_base_url.rstrip("/")
        self.service_sid = config.twilio_messaging_service_sid
        self.numbers = list(config.twilio_from_numbers)

    def routes(self) -> list[str]:
        return [self.service_sid] if self.service_sid else self.numbers

    def send(self, to: str, body: str, status_callback: str | None, route: str) -> Sent:
        kwargs: dict[str, str] = {"to": to, "body": body}
        if route.startswith("MG"):
            kwargs["messaging_service_sid"] = route
        else:
            kwargs["from_"] = route
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = exc.code or exc.status
            retryable = exc.status == 429 or exc.status >= 500 or exc.code == 20429
            raise SendError(str(exc.msg), code=str(code),
                            retryable=retryable and code not in PERMANENT_CODES) from exc
        except OSError as exc:  # timeouts and refused connections: try again later
            raise SendError(str(exc), code=None, retryable=True) from exc
        return Sent(sid=message.sid, status=message.status or "queued")

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        """Ask Twilio's message log. Raises SendError when Twilio cannot be asked."""
        try:
            listed = self.client.messages.list(to=to, date_sent_after=since, page_size=100, limit=100)
        except TwilioRestException as exc:
            raise SendError(str(exc.msg), code=str(exc.code or exc.status), retryable=True) from exc
        except OSError as exc:
            raise SendError(str(exc), code=None, retryable=True) from exc
        for m in listed:
            if (m.direction or "").startswith("outbound") and m.body == body:
                return Sent(sid=m.sid, status=m.status or "sent")
        return None


    def received_since(self, since: datetime) -> list[Received]:
        """Twilio's log of inbound texts to each of our numbers (or the whole account)."""
        out = []
        for number in self.numbers or [None]:
            kwargs: dict[str, object] = {"date_sent_after": since, "page_size": 1000}
            if number:
                kwargs["to"] = number
            out += [Received(m.sid, m.from_, m.to or "", m.body or "", int(m.num_media or 0))
                    for m in self.client.messages.list(**kwargs) if (m.direction or "").startswith("inbound")]
        return out


def make_sender(config: Config) -> Sender:
    return TwilioSender(config) if config.twilio_enabled else OutboxSender()
