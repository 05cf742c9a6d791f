"""SQLAlchemy 2 tables: the roster, the durable inbox, reports, codes, outbox, backlog and log."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use hotline.models.utcnow()")
        return value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class County(Base):
    __tablename__ = "counties"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    state_delegates: Mapped[Optional[int]]


class Precinct(Base):
    __tablename__ = "precincts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    # D, the county-convention delegates the precinct elects; None for a satellite site.
    delegates_to_elect: Mapped[Optional[int]]
    past_turnout: Mapped[Optional[int]]
    chair_done_at: Mapped[Optional[datetime]]  # the chair texted DONE: completeness is checked
    county: Mapped[County] = relationship(lazy="joined")
    chair: Mapped[Optional["Chair"]] = relationship(back_populates="precinct", uselist=False)


class Chair(Base):
    __tablename__ = "chairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    pin_hash: Mapped[str] = mapped_column(String(200))
    # What the chair reads and hears: "en" or "es" (the roster's optional `language` column).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    precinct: Mapped[Precinct] = relationship(back_populates="chair")
    phones: Mapped[list["ChairPhone"]] = relationship(back_populates="chair",
                                                      cascade="all, delete-orphan")


class ChairPhone(Base):
    __tablename__ = "chair_phones"
    __table_args__ = (UniqueConstraint("chair_id", "phone"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chair_id: Mapped[int] = mapped_column(ForeignKey("chairs.id"))
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    chair: Mapped[Chair] = relationship(back_populates="phones")


class CandidateRow(Base):
    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    ballot_order: Mapped[int]


class InboundMessage(Base):
    """The raw Twilio request, written before the webhook answers."""

    __tablename__ = "inbound_messages"
    # The unhandled texts (a phone's; all of them, oldest first, for the sweeper) without walking
    # past the handled ones; partial, so they hold only the rows waiting and stay small all night.
    __table_args__ = (Index("ix_inbound_unhandled_by_phone", "from_number", "id",
                            sqlite_where=text("processed_at IS NULL"),
                            postgresql_where=text("processed_at IS NULL")),
                      Index("ix_inbound_unhandled", "id", sqlite_where=text("processed_at IS NULL"),
                            postgresql_where=text("processed_at IS NULL")))
    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    from_number: Mapped[str] = mapped_column(String(32), index=True)
    to_number: Mapped[str] = mapped_column(String(32), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    media_urls: Mapped[list[Any]] = mapped_column(default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    processed_at: Mapped[Optional[datetime]]  # only "not yet" is looked up: the partial index
    outcome: Mapped[Optional[str]] = mapped_column(String(40))
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"))


class Submission(Base):
    """One read-back: the stages a chair sent together, awaiting or past confirmation."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # sms | voice | staff
    sender: Mapped[str] = mapped_column(String(64))  # phone, or staff username
    confirm_phone: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    attendance: Mapped[Optional[int]]
    body: Mapped[str] = mapped_column(Text, default="")
    photo_urls: Mapped[list[Any]] = mapped_column(default=list)
    findings: Mapped[list[Any]] = mapped_column(default=list)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[Optional[datetime]]
    # Staff explanation that lets a flagged report be published (e.g. a coin toss).
    explained_at: Mapped[Optional[datetime]]
    explained_by: Mapped[Optional[str]] = mapped_column(String(80))
    explanation: Mapped[Optional[str]] = mapped_column(Text)
    # Staff-entered results count only once a second staff member approves them.
    approved_at: Mapped[Optional[datetime]]
    approved_by: Mapped[Optional[str]] = mapped_column(String(80))
    precinct: Mapped[Precinct] = relationship(lazy="joined")
    reports: Mapped[list["Report"]] = relationship(back_populates="submission",
                                                   order_by="Report.id")


class Report(Base):
    """One stage of one precinct as a chair gave it; `current` marks the counting version."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_precinct_stage", "precinct_id", "stage", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"))
    stage: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Hash of the counts, to find another precinct with identical numbers cheaply.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending|current|superseded|discarded
    superseded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[Optional[datetime]]
    submission: Mapped[Submission] = relationship(back_populates="reports")


class ConfirmationCode(Base):
    __tablename__ = "confirmation_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # readback | callback
    phone: Mapped[str] = mapped_column(String(32))  # the phone the code must come back from
    code_hash: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[Optional[datetime]]
    submission: Mapped[Submission] = relationship()


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    to_number: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(default=1)  # 0 = confirmations and codes first
    status: Mapped[str] = mapped_column(String(20), index=True)
    twilio_sid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    error_code: Mapped[Optional[str]] = mapped_column(String(16))
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    precinct_id: Mapped[Optional[int]] = mapped_column(ForeignKey("precincts.id"))
    inbound_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_at: Mapped[Optional[datetime]]  # a sender took it ("sending"); see outbound.settle
    sent_at: Mapped[Optional[datetime]]


class DeliveryStatus(Base):
    """Each status callback Twilio sent; one message has several (sent, delivered, ...)."""

    __tablename__ = "delivery_statuses"
    __table_args__ = (UniqueConstraint("message_sid", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[Optional[str]] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class BacklogItem(Base):
    """Work for hotline staff: call-backs, unparsed texts, failed checks, lock-outs, ..."""

    __tablename__ = "backlog_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    priority: Mapped[int] = mapped_column(default=2)  # 0 highest
    precinct_id: Mapped[Optional[int]] = mapped_column(ForeignKey("precincts.id"))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # At most one open item per key (e.g. one unknown-sender item per number).
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(120), index=True)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(80))
    claim_expires_at: Mapped[Optional[datetime]]
    resolved_at: Mapped[Optional[datetime]]
    resolved_by: Mapped[Optional[str]] = mapped_column(String(80))
    resolution: Mapped[Optional[str]] = mapped_column(String(24))
    note: Mapped[Optional[str]] = mapped_column(Text)
    precinct: Mapped[Optional[Precinct]] = relationship(lazy="joined")


class LogEntry(Base):
    """The verification log: append-only, each row carrying the hash of the one before."""

    __tablename__ = "log_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    precinct_code: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    actor: Mapped[Optional[str]] = mapped_column(String(80), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # 16 random bytes (hex) that hide phone and actor in the hash (see services/log/chain.py);
    # NULL for entries written before public proofs, which hash the two values themselves.
    salt: Mapped[Optional[str]] = mapped_column(String(32))


class LogHead(Base):
    """A single row locked by every log append, so the chain has one order on every backend."""

    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


class RateCounter(Base):
    """Failure counters with a window, e.g. wrong PINs per precinct and per phone."""

    __tablename__ = "rate_counters"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[Optional[datetime]]


class StaffUser(Base):
    """Hotline staff and administrators who log in to the console."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # staff | admin
    phone: Mapped[Optional[str]] = mapped_column(String(32))  # for click-to-call bridging
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]
    # Stored in the browser session at sign-in; bumping it (sign-out, password, role or active
    # change) ends every session of this account at its next request.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")


class Worksheet(Base):
    """Numbers copied from a precinct's signed paper worksheet, for reconciliation."""

    __tablename__ = "worksheets"
    id: Mapped[int] = mapped_column(primary_key=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), index=True)
    first: Mapped[dict[str, Any]] = mapped_column(default=dict)
    final: Mapped[dict[str, Any]] = mapped_column(default=dict)
    delegates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attendance: Mapped[Optional[int]]
    entered_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    precinct: Mapped[Precinct] = relationship(lazy="joined")


class CallEvent(Base):
    """Every voice webhook (one per call step), stored before the TwiML answer."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_sid", "step", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(default=0)
    from_number: Mapped[str] = mapped_column(String(32), index=True)
    digits: Mapped[Optional[str]] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WorksheetPhoto(Base):
    """One worksheet photo a chair texted (MMS), downloaded from Twilio and kept by its SHA-256.

    `status`: pending (the download is queued: "photo arriving"), stored, refused (not a picture, or
    too large; the chair was told), failed (every try failed; staff have a backlog item). The
    source URL is Twilio's and is kept for staff tracing only: never shown, never logged.
    """

    __tablename__ = "worksheet_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), index=True)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"))
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    source_url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sha256: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    content_type: Mapped[Optional[str]] = mapped_column(String(40))
    bytes: Mapped[Optional[int]]
    error: Mapped[Optional[str]] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the text with it came in
    stored_at: Mapped[Optional[datetime]]
    # Staff's latest mark against the recorded report: matches, differs, unreadable (None: not
    # checked yet); every mark, earlier ones included, is in the verification log (`photo_marked`).
    mark: Mapped[Optional[str]] = mapped_column(String(16))
    marked_by: Mapped[Optional[str]] = mapped_column(String(80))
    marked_at: Mapped[Optional[datetime]]
    precinct: Mapped[Precinct] = relationship(lazy="joined")


class ResultChange(Base):
    """One change to a precinct's published figures: the versioned public results feed.

    `sequence` is global and gapless (one change, one number); `old`/`new` are the published
    figures before and after ({"first": {...}, "final": {...}, "delegates": {...}}), None when
    the precinct was (or became) unpublished. Nothing personal: no phones, no staff names."""

    __tablename__ = "result_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    precinct_code: Mapped[str] = mapped_column(String(32), index=True)
    stages: Mapped[list[Any]] = mapped_column(default=list)
    old: Mapped[Optional[dict[str, Any]]]
    new: Mapped[Optional[dict[str, Any]]]
    reason: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))


class ResultSequence(Base):
    """A single row locked by every change to the published results, so the sequence has one
    order and no two writers take the same number (FOR UPDATE on PostgreSQL)."""

    __tablename__ = "result_sequence"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
    at: Mapped[Optional[datetime]]


class CoinTossRow(Base):
    """The outcome of a coin toss that decided a precinct's delegates (the newest row counts).

    `winners` and `groups` are group names (the tie's winners, and the tied groups it decided);
    `channel` is sms, voice or staff; `recorded_by` is the chair's phone or the staff username
    (never public). `log_seq` is the seq of its `coin_toss_recorded` verification log entry.
    """

    __tablename__ = "coin_tosses"
    id: Mapped[int] = mapped_column(primary_key=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), index=True)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"))
    winners: Mapped[list[Any]] = mapped_column(default=list)
    groups: Mapped[list[Any]] = mapped_column(default=list)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    log_seq: Mapped[Optional[int]]


class PhoneOptOut(Base):
    """Whether a phone opted out of our texts (STOP and the other carrier keywords), and since when.

    One row per phone, updated on every change: `opted_out` is the phone's state now, `source`
    what changed it last (text, twilio_21610: Twilio refused a send, staff), `inbound_id` the
    text that did. Nothing is sent to an opted-out phone.
    """

    __tablename__ = "phone_opt_outs"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    inbound_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inbound_messages.id"))


class Blast(Base):
    """A reminder or broadcast sent to many chairs at once by a staff member (see services/ops/blasts.py).

    `filters` is what chose the recipients (county, stage, not yet reminded); the recipients
    themselves are in `blast_recipients`, each with the outbox row that carries the text.
    """

    __tablename__ = "blasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | broadcast
    text: Mapped[str] = mapped_column(Text)  # a broadcast's text; a reminder's is per precinct
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[Optional[datetime]]
    cancelled_by: Mapped[Optional[str]] = mapped_column(String(80))


class BlastRecipient(Base):
    """One phone a blast went to: never the same blast twice to one phone (the unique pair)."""

    __tablename__ = "blast_recipients"
    __table_args__ = (UniqueConstraint("blast_id", "phone"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    blast_id: Mapped[int] = mapped_column(ForeignKey("blasts.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    precinct_id: Mapped[Optional[int]] = mapped_column(ForeignKey("precincts.id"))
    outbound_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outbound_messages.id"))


class PrecinctHold(Base):
    """A precinct held back from the public results for review (see services/records/holds.py).

    `kind` "staff": placed by a staff member with a reason; released only by another staff
    member. "auto": placed by the checks (a warning that suggests a copy error); any staff member
    may release it. The open hold is the one without `released_at`.
    """

    __tablename__ = "precinct_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # staff | auto
    reason: Mapped[str] = mapped_column(Text)
    findings: Mapped[list[Any]] = mapped_column(default=list)
    held_by: Mapped[Optional[str]] = mapped_column(String(80))
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[Optional[str]] = mapped_column(String(80))
    released_at: Mapped[Optional[datetime]]
    release_note: Mapped[Optional[str]] = mapped_column(Text)


class StaffCounty(Base):
    """A county a staff member looks after: the queue shows that county's items first to them
    (set by an administrator on the staff accounts page; none: everything in plain order)."""

    __tablename__ = "staff_counties"
    __table_args__ = (UniqueConstraint("staff_user_id", "county_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"))


class CannedReply(Base):
    """A ready-made text staff insert into *Text the chair* (managed by administrators).
    `language` is a code: en or es."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[Optional[str]] = mapped_column(String(80))
    updated_at: Mapped[Optional[datetime]]


class Observer(Base):
    """Someone counting the room beside the chair: a campaign's precinct captain or a neutral
    group's observer (see services/records/observations.py). What they report never counts and
    never changes a chair's report: it is compared with it."""

    __tablename__ = "observers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(120))  # a campaign or a neutral group: shown in public
    pin_hash: Mapped[Optional[str]] = mapped_column(String(200))  # for the voice line
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_by: Mapped[Optional[str]] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    phones: Mapped[list["ObserverPhone"]] = relationship(order_by="ObserverPhone.id", cascade="all, delete-orphan")
    assignments: Mapped[list["ObserverPrecinct"]] = relationship(order_by="ObserverPrecinct.id",
                                                                 cascade="all, delete-orphan")


class ObserverPhone(Base):
    __tablename__ = "observer_phones"
    id: Mapped[int] = mapped_column(primary_key=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("observers.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)


class ObserverPrecinct(Base):
    """A precinct an observer is assigned to (they may report for these only)."""

    __tablename__ = "observer_precincts"
    __table_args__ = (UniqueConstraint("observer_id", "precinct_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("observers.id"), index=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"), index=True)
    precinct: Mapped[Precinct] = relationship(lazy="joined")


class Observation(Base):
    """One read-back of an observer's counts (the stages sent together), awaiting or past the
    observer's YES. `stages` maps a stage to {candidate: count}; the code works as a chair's."""

    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_precinct_status", "precinct_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("observers.id"), index=True)
    precinct_id: Mapped[int] = mapped_column(ForeignKey("precincts.id"))
    source: Mapped[str] = mapped_column(String(16))  # sms | voice
    phone: Mapped[str] = mapped_column(String(32), index=True)  # the code must come back from it
    stages: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attendance: Mapped[Optional[int]]
    status: Mapped[str] = mapped_column(String(24))  # awaiting|confirmed|replaced|expired|locked|cancelled
    code_hash: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[Optional[datetime]]
    inbound_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inbound_messages.id"))
    observer: Mapped[Observer] = relationship(lazy="joined")
    precinct: Mapped[Precinct] = relationship(lazy="joined")
