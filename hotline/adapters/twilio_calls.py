"""Click-to-call: Twilio's Calls API rings the staff member, then a TwiML bridge dials the chair."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.config import Config


class CallError(Exception):
    """Twilio refused or could not be reached; the message is shown to the staff member."""


@dataclass(frozen=True)
class Placed:
    sid: str | None
    status: str  # "outbox" when no Twilio account is configured


class Caller(Protocol):
    def call(self, to: str, twiml_url: str) -> Placed: ...


class OutboxCaller:
    """No Twilio account: the call request stays in the outbox for the staff member to dial by hand."""

    def call(self, to: str, twiml_url: str) -> Placed:
        return Placed(sid=None, status="outbox")


class TwilioCaller:
    """Twilio's REST client; the first sending number is the caller ID."""

    def __init__(self, config: Config) -> None:
        self.client = Client(config.twilio_account_sid, config.twilio_auth_token,
                             http_client=TwilioHttpClient(timeout=10))
        if config.twilio_api_base_url:
            # Tests and the drill point the real client at a local stand-in.
            self.client.api.base_url = config.twilio_api_base_url.rstrip("/")
        self.from_number = config.twilio_from_numbers[0] if config.twilio_from_numbers else None

    def call(self, to: str, twiml_url: str) -> Placed:
        if not self.from_number:
            raise CallError("Calls need a Twilio phone number (TWILIO_FROM_NUMBERS) as caller ID.")
        try:
            call = self.client.calls.create(to=to, from_=self.from_number, url=twiml_url, method="POST")
        except TwilioRestException as exc:
            raise CallError(f"Twilio refused the call: {exc.msg} (code {exc.code or exc.status})") from exc
        except OSError as exc:
            raise CallError(f"Twilio could not be reached: {exc}") from exc
        return Placed(sid=call.sid, status=call.status or "queued")


def make_caller(config: Config) -> Caller:
    """The real caller when Twilio is configured, otherwise the outbox."""
    return TwilioCaller(config) if config.twilio_enabled else OutboxCaller()
