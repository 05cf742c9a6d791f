"""What a caller leaves for staff to follow up: a call-back request or a voicemail, as backlog items."""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from redis import Redis

from hotline.adapters.models import BacklogItem
from hotline.domain import ivr, verification
from hotline.domain.model import Candidate
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import NOTICES, PROMPTS, SAYINGS
from hotline.services.records import backlog, roster
from hotline.services.units import Units
from hotline.services.voice import line
from hotline.services.voice.call_state import BadKeys, CallState, form_int, load

logger = logging.getLogger(__name__)


def offer_callback(call: CallState, notice: str = "") -> None:
    """Ask to confirm the number to call back: the caller ID if it is a real number."""
    call.callback_number = call.callback_number or verification.normalize_phone(call.caller)
    call.go("callback" if call.callback_number else "callback_number", notice)


def callback(units: Units, redis: Redis, call: CallState, keys: str,
             _c: list[Candidate]) -> ivr.Reply | None:
    """1 books the call-back to the number read out; 2 asks for another number."""
    if keys == "2":
        call.go("callback_number")
        return None
    if keys != "1" or not call.callback_number:
        raise BadKeys("invalid")
    return _book(units, redis, call, call.callback_number)


def callback_number(_units: Units, _redis: Redis, call: CallState, keys: str,
                    _c: list[Candidate]) -> ivr.Reply | None:
    """A 10-digit number keyed for the call-back; read back for confirmation."""
    number = verification.normalize_phone(keys)
    if number is None:
        raise BadKeys("bad_number", keys)
    call.callback_number = number
    call.go("callback")
    return None


def _book(units: Units, redis: Redis, call: CallState, number: str) -> ivr.Reply:
    """Book the call-back, keeping the time the caller joined the line; tell them their place and wait."""
    joined = call.joined_at or time.time()
    with units.begin() as uow:
        s = uow.session
        code = call.precinct_or_own
        precinct = roster.precinct_by_code(s, code) if code else None
        # Chairs' call-backs outrank everything; unknown callers' rank with unknown senders.
        priority = backlog.PRIORITY["callback_request" if call.chair else "unknown_sender"]
        who = f"the chair of {precinct.code}" if call.chair and precinct else "an unregistered caller"
        item = backlog.open_item(s, "callback_request", priority=priority, phone=number,
                                 precinct_id=precinct.id if precinct else None,
                                 dedupe_key=f"callback:{number}",
                                 summary=f"Call back {who} at {number}",
                                 detail={"call_sid": call.sid, "caller": call.caller, "chair": call.chair,
                                         "asked_while_waiting": call.callback_wanted, line.JOINED: joined})
        joined = line.joined_at(item)  # asked before and still open: the earlier place stands
        chair = item.priority <= backlog.PRIORITY["callback_request"]
        waiting = line.callbacks(s)
    # The caller hears their place in the one line (holding callers and call-backs, by the time each
    # joined) and the same estimate they would hear on hold.
    position, chairs_ahead = line.place(redis, waiting, chair=chair, joined=joined)
    estimate = line.estimate(redis, position)
    call.joined_at = None
    call.go("done")
    return ivr.Reply((wording.callback_booked(number[-4:], position, estimate, chair=chair,
                                              chairs_ahead=chairs_ahead),), hangup=True)


def voicemail(call: CallState) -> ivr.Reply:
    """Record a message; if nothing is said, the call returns to the menu."""
    call.go("menu", NOTICES["no_message"])  # heard only if the recording comes back empty
    return ivr.Reply((PROMPTS["message"],), record=True, redirect="resume")


def message_saved(units: Units, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """The recording exists: it becomes a backlog item with the caller and precinct."""
    with units.begin() as uow:
        code = call.precinct_or_own
        precinct = roster.precinct_by_code(uow.session, code) if code else None
        item = backlog.open_item(uow.session, "voicemail", phone=call.caller,
                                 precinct_id=precinct.id if precinct else None,
                                 summary=f"Voicemail from {call.caller}"
                                         + (f" ({precinct.code})" if precinct else ""),
                                 detail={"recording_url": form.get("RecordingUrl", ""),
                                         "duration_seconds": form_int(form, "RecordingDuration"),
                                         "call_sid": call.sid, "chair": call.chair})
        call.voicemail_item = item.id
    call.notice = ""
    call.go("done")
    return ivr.Reply((SAYINGS["message_saved"],), hangup=True)


def transcript(units: Units, redis: Redis, sid: str, form: Mapping[str, str]) -> bool:
    """Add Twilio's transcription to the call's voicemail item; False if there is no such item."""
    call = load(redis, sid)
    if call is None or call.voicemail_item is None:
        logger.warning("transcription for call %s has no voicemail item", sid)
        return False
    with units.begin() as uow:
        item = uow.session.get(BacklogItem, call.voicemail_item)
        if item is None:
            return False
        item.detail = {**item.detail, "transcription": form.get("TranscriptionText", ""),
                       "transcription_status": form.get("TranscriptionStatus", "")}
    return True
