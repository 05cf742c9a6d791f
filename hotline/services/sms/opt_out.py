"""STOP, START and the other carrier keywords: the phone's opt-out recorded, and no reply to STOP.

Twilio answers these keywords itself on long codes (and blocks our texts to an opted-out phone),
so a STOP gets no reply from us. A bare CANCEL is both our command (drop the unconfirmed report)
and an opt-out: both happen. START and UNSTOP then go on to the usual HELP answer; a bare YES that
only resubscribed the phone gets none.
"""
from __future__ import annotations

from hotline.domain import opt_out
from hotline.services.records import opt_outs
from hotline.services.sms import commands
from hotline.services.sms.message import Answer, Incoming
from hotline.services.units import UnitOfWork


def noticed(uow: UnitOfWork, text: Incoming) -> Answer | None:
    """Record an opt-out or opt-in this text makes; its Answer when nothing more is to be done."""
    word = opt_out.keyword(text.msg.body)
    if word is None or not word.isalpha():
        return None  # carrier keywords are one word of letters: most texts stop here, no lookup
    s = uow.session
    twilio_type = _opt_out_type(text)
    currently_out = word == opt_out.RESUBSCRIBE and not twilio_type and opt_outs.is_opted_out(s, text.phone)
    change = opt_out.change(text.msg.body, twilio_type, opted_out=currently_out)
    if change == opt_out.OUT:
        opt_outs.record(s, text.phone, True, opt_outs.TEXT, text.msg.id)
        if word == "cancel":
            commands.cancel(uow, text, None)  # its reply is dropped: we send nothing to STOP
        return Answer("opted_out")
    if change == opt_out.IN:
        opt_outs.record(s, text.phone, False, opt_outs.TEXT, text.msg.id)
        if word == opt_out.RESUBSCRIBE:
            return Answer("opted_in")  # Twilio confirms the resubscription itself
    return None


def _opt_out_type(text: Incoming) -> str | None:
    """Twilio's OptOutType parameter (Advanced Opt-Out), when the request carried one."""
    values = (text.msg.raw or {}).get("OptOutType") or []
    value = values[0] if isinstance(values, list) and values else values
    return str(value)[:16] if value else None
