"""The phone simulator's keypad call: plays the TwiML the real voice webhooks return, as Twilio would.

A call is a small state kept between page loads: what the caller heard, and what the call waits
for now (keys at a <Gather>, a recording, holding in a queue, a <Dial> in progress, or nothing
because it ended). Each action posts the next webhook Twilio would post and reads its answer:
<Say> becomes text, <Gather> waits for keys, <Redirect> is followed, <Enqueue> holds (its waitUrl
gives the announcements), <Leave> leaves the queue, <Dial> connects (the simulator says to whom),
<Hangup> ends the call. Nothing here knows the hotline's call flow: only TwiML.
"""
from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# post(path with query, form) -> (HTTP status, TwiML text)
Post = Callable[[str, dict[str, str]], "tuple[int, str]"]
MAX_STEPS = 12  # redirects followed in one go; a loop in the call flow stops here
HEARD_KEPT = 60  # lines of the transcript kept


@dataclass
class SimCall:
    """One simulated call and what it waits for now."""

    sid: str
    caller: str
    to: str
    heard: list[str] = field(default_factory=list)
    waiting: str = "keys"  # keys | record | queue | dial | ended
    gather: dict[str, Any] = field(default_factory=dict)  # action, digits (expected), empty_posts
    rest: str = ""  # the verbs after a <Gather>, played when it times out without posting
    queue: dict[str, Any] = field(default_factory=dict)  # name, action, wait_url, joined
    dial: dict[str, Any] = field(default_factory=dict)  # action, to
    record: dict[str, Any] = field(default_factory=dict)  # action, then (a redirect after it)

    @classmethod
    def load(cls, data: dict[str, Any]) -> SimCall:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def dump(self) -> dict[str, Any]:
        self.heard = self.heard[-HEARD_KEPT:]
        return asdict(self)


def new_call(caller: str, to: str) -> SimCall:
    return SimCall(sid="CA" + uuid.uuid4().hex, caller=caller, to=to)


def form(call: SimCall, account: str, **extra: str) -> dict[str, str]:
    """The fields Twilio sends with every webhook of a call."""
    return {"CallSid": call.sid, "AccountSid": account, "From": call.caller, "To": call.to,
            "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def request(call: SimCall, post: Post, account: str, path: str, **extra: str) -> None:
    """Post one webhook and play its answer."""
    status, text = post(path, form(call, account, **extra))
    if status != 200:
        call.heard.append(f"(the webhook {path} answered {status}; see the server log)")
        call.waiting = "ended"
        return
    play(call, post, account, text)


def play(call: SimCall, post: Post, account: str, twiml: str, steps: int = 0) -> None:
    """Play a TwiML answer until it waits for the caller (or ends)."""
    try:
        doc = ET.fromstring(twiml)
    except ET.ParseError:
        call.heard.append("(the answer is not TwiML)")
        call.waiting = "ended"
        return
    verbs = list(doc)
    for i, verb in enumerate(verbs):
        tag = verb.tag
        if tag == "Say":
            call.heard.append(f"Hotline: {(verb.text or '').strip()}")
        elif tag == "Play":
            call.heard.append("(hold music)")
        elif tag == "Pause":
            continue
        elif tag == "Gather":
            for inner in verb:
                if inner.tag == "Say":
                    call.heard.append(f"Hotline: {(inner.text or '').strip()}")
                elif inner.tag == "Play":
                    call.heard.append("(hold music)")
            rest = ET.Element("Response")
            rest.extend(verbs[i + 1:])
            call.gather = {"action": verb.get("action", ""), "digits": verb.get("numDigits", ""),
                           "empty_posts": verb.get("actionOnEmptyResult") == "true"}
            call.rest = ET.tostring(rest, encoding="unicode")
            call.waiting = "keys"
            return
        elif tag == "Record":
            call.heard.append("(beep: the line records a message now)")
            after = next((v for v in verbs[i + 1:] if v.tag == "Redirect"), None)
            then = (after.text or "").strip() if after is not None else ""
            call.record = {"action": verb.get("action", ""), "then": then}
            call.waiting = "record"
            return
        elif tag == "Redirect":
            if steps >= MAX_STEPS:
                call.heard.append("(too many redirects in a row: the simulator stops here)")
                call.waiting = "ended"
                return
            status, text = post((verb.text or "").strip(), form(call, account))
            if status != 200:
                call.heard.append(f"(the redirect answered {status})")
                call.waiting = "ended"
                return
            play(call, post, account, text, steps + 1)
            return
        elif tag == "Enqueue":
            call.queue = {"name": (verb.text or "").strip(), "action": verb.get("action", ""),
                          "wait_url": verb.get("waitUrl", ""), "joined": time.time()}
            call.heard.append(f"(on hold in the queue {call.queue['name']})")
            call.waiting = "queue"
            hold(call, post, account, steps + 1)
            return
        elif tag == "Leave":
            leave_queue(call, post, account, "leave")
            return
        elif tag == "Dial":
            target = [f"the queue {(v.text or '').strip()}" if v.tag == "Queue" else (v.text or "").strip()
                      for v in verb]
            call.dial = {"action": verb.get("action", ""), "to": ", ".join(target)}
            call.heard.append(f"(connecting you to {call.dial['to']})")
            call.waiting = "dial"
            return
        elif tag == "Hangup":
            call.heard.append("(the hotline hung up)")
            call.waiting = "ended"
            return
        else:
            call.heard.append(f"({tag})")
    if call.waiting == "queue" and call.queue:
        return  # a wait announcement ended: Twilio asks for the next one while the caller holds
    call.heard.append("(the call ended)")
    call.waiting = "ended"


def hold(call: SimCall, post: Post, account: str, steps: int = 0) -> None:
    """The next wait announcement while holding (Twilio requests the waitUrl again and again)."""
    waited = int(time.time() - float(call.queue.get("joined", time.time())))
    status, text = post(call.queue["wait_url"], form(call, account, QueuePosition="1", QueueTime=str(waited),
                                                      QueueSid="QU" + "0" * 32, CurrentQueueSize="1",
                                                      AvgQueueTime="0"))
    call.waiting = "queue"
    if status != 200:
        call.heard.append(f"(the wait announcement answered {status})")
        return
    play(call, post, account, text, steps)


def leave_queue(call: SimCall, post: Post, account: str, result: str) -> None:
    """The caller left the queue (`leave`, `hangup`, ...): Twilio posts the Enqueue's action."""
    queue, call.queue = call.queue, {}
    if not queue:
        call.waiting = "ended"
        return
    waited = int(time.time() - float(queue.get("joined", time.time())))
    call.waiting = "ended" if result == "hangup" else "keys"
    status, text = post(queue["action"], form(call, account, QueueResult=result, QueueTime=str(waited),
                                              QueueSid="QU" + "0" * 32))
    if result != "hangup" and status == 200:
        play(call, post, account, text)


def press(call: SimCall, post: Post, account: str, keys: str) -> None:
    """Keys at the current <Gather> (Twilio drops the finishing #); blank keys are a silence."""
    keys = keys.strip().rstrip("#")
    gather = call.gather
    call.heard.append(f"You pressed: {' '.join(keys)}" if keys else "(you said nothing)")
    if keys or gather.get("empty_posts"):
        call.gather, call.rest = {}, ""
        request(call, post, account, gather["action"], **({"Digits": keys} if keys else {}))
        return
    # A silence that is not posted: Twilio plays on (a waiting caller hears the next announcement).
    rest, call.gather, call.rest = call.rest, {}, ""
    if call.queue:
        hold(call, post, account)
    else:
        play(call, post, account, rest or "<Response/>")


def recorded(call: SimCall, post: Post, account: str, message: bool) -> None:
    """The caller left a message (Twilio posts the Record's action) or said nothing (the redirect follows)."""
    rec, call.record = call.record, {}
    if message:
        call.heard.append("(you left a message)")
        request(call, post, account, rec["action"], RecordingUrl="https://api.twilio.com/2010-04-01/Recordings/RE"
                + "0" * 32, RecordingDuration="5", RecordingSid="RE" + uuid.uuid4().hex)
    elif rec.get("then"):
        call.heard.append("(you said nothing)")
        request(call, post, account, rec["then"])
    else:
        call.waiting = "ended"


def dial_over(call: SimCall, post: Post, account: str, answered: bool) -> None:
    """The <Dial> ended: the conversation is over (completed) or nobody answered (no-answer)."""
    dial, call.dial = call.dial, {}
    call.heard.append("(the conversation ended)" if answered else "(nobody answered)")
    request(call, post, account, dial["action"], DialCallStatus="completed" if answered else "no-answer",
            DialCallDuration="30" if answered else "0")


def hang_up(call: SimCall, post: Post, account: str) -> None:
    """The caller hangs up; a caller holding in a queue leaves it (Twilio tells the Enqueue's action)."""
    call.heard.append("(you hung up)")
    if call.queue:
        leave_queue(call, post, account, "hangup")
    call.waiting = "ended"
