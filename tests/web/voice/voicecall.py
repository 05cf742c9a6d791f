"""A phone call driven as Twilio drives it: signed webhook posts, TwiML answers parsed as XML."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

from tests.support.stack import ACCOUNT_SID, sign

TWILIO_NUMBER = "+15155550100"


class Call:
    """One call: `start()`, then `press()` / `silence()` on whatever the last answer asked."""

    def __init__(self, client: Any, caller: str, sid: str | None = None) -> None:
        self.client, self.caller = client, caller
        self.sid = sid or "CA" + uuid.uuid4().hex
        self.doc: ET.Element | None = None
        self.transcript: list[str] = []  # every <Say>, in the order the caller heard them

    def post(self, url: str, sid: str | None = None, **params: str) -> ET.Element:
        """One signed webhook, as Twilio sends it; the answer must be TwiML."""
        form = {"CallSid": sid or self.sid, "AccountSid": ACCOUNT_SID, "From": self.caller,
                "To": TWILIO_NUMBER, "CallStatus": "in-progress", "Direction": "inbound",
                "ApiVersion": "2010-04-01", **params}
        resp = self.client.post(url, data=form, headers={"X-Twilio-Signature": sign(url, form)})
        assert resp.status_code == 200, (url, resp.status_code, resp.data)
        assert resp.mimetype == "text/xml", resp.mimetype
        self.doc = ET.fromstring(resp.data)
        assert self.doc.tag == "Response"
        self.transcript += self.says()
        return self.doc

    def start(self, url: str = "/twilio/voice") -> ET.Element:
        return self.post(url)

    def find(self, path: str) -> ET.Element:
        assert self.doc is not None
        el = self.doc.find(path)
        assert el is not None, f"no {path} in {ET.tostring(self.doc).decode()}"
        return el

    def gather(self) -> ET.Element:
        return self.find("Gather")

    def press(self, digits: str) -> ET.Element:
        """Keys entered at the current <Gather> (Twilio drops the finishing #)."""
        return self.post(self.gather().attrib["action"], Digits=digits)

    def silence(self) -> ET.Element:
        """The gather timed out (actionOnEmptyResult posts without Digits)."""
        assert self.gather().get("actionOnEmptyResult") == "true"
        return self.post(self.gather().attrib["action"])

    def says(self) -> list[str]:
        assert self.doc is not None
        return [el.text or "" for el in self.doc.iter("Say")]

    def said(self) -> str:
        return " ".join(self.says())

    def verbs(self) -> list[str]:
        """Top-level verbs of the last answer, e.g. ['Gather'] or ['Say', 'Enqueue']."""
        assert self.doc is not None
        return [el.tag for el in self.doc]

    def follow(self) -> ET.Element:
        """Follow a <Redirect>."""
        return self.post(self.find("Redirect").text or "")

    # The results desk: Twilio's requests while this call waits in a queue.
    def wait(self, position: int, queue_time: int = 0, url: str | None = None) -> ET.Element:
        enqueue_url = url or self.enqueued.attrib["waitUrl"]
        return self.post(enqueue_url, QueuePosition=str(position), QueueTime=str(queue_time),
                         QueueSid="QU" + "1" * 32, CurrentQueueSize=str(position), AvgQueueTime="0")

    def left(self, result: str, queue_time: int = 0) -> ET.Element:
        return self.post(self.enqueued.attrib["action"], QueueResult=result,
                         QueueSid="QU" + "1" * 32, QueueTime=str(queue_time))

    def join_desk(self) -> ET.Element:
        """Press 2 at the main menu; keep the <Enqueue> for later waitUrl/action requests."""
        doc = self.press("2")
        self.enqueued = self.find("Enqueue")
        return doc
