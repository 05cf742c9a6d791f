"""All configuration, read once from environment variables with safe local defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

# The token the local simulator signs with when no Twilio account is configured.
# It protects nothing real: production refuses to start without TWILIO_AUTH_TOKEN.
LOCAL_DEV_AUTH_TOKEN = "local-dev-auth-token"
LOCAL_DEV_SECRET_KEY = "local-dev-secret-key-not-for-production"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for the chosen mode."""


# HOTLINE_ENV must be one of these, spelled exactly: "Production" or "prod" once started a
# production box in development mode (signatures skippable, the default SECRET_KEY, the simulator).
ENVIRONMENTS = ("development", "test", "production")


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(value: str | None, default: float) -> float:
    return default if value in (None, "") else float(value)


def _int(value: str | None, default: int) -> int:
    return default if value in (None, "") else int(value)


@dataclass(frozen=True)
class Config:
    """Typed settings; build with `Config.from_env()` and check with `validate()`."""

    env: str = "development"
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    secret_key: str = LOCAL_DEV_SECRET_KEY
    database_url: str = ""
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str = LOCAL_DEV_AUTH_TOKEN
    twilio_auth_token_set: bool = False
    twilio_from_numbers: tuple[str, ...] = ()
    twilio_messaging_service_sid: str | None = None
    # Only for tests and the drill: a local stand-in for api.twilio.com.
    twilio_api_base_url: str | None = None
    public_base_url: str | None = None
    # Local-only switch: accept unsigned Twilio webhooks. Refused in production.
    dev_skip_twilio_signature: bool = False
    code_ttl_seconds: int = 15 * 60
    code_max_attempts: int = 3
    pin_max_failures: int = 5
    pin_lockout_seconds: int = 15 * 60
    split_window_seconds: int = 30
    complete_after_minutes: int = 90  # a stage still missing this long after the first: remind
    unknown_sender_replies_per_hour: int = 3
    # After a reply loop (an auto-responder answering our replies): no automatic replies this long.
    reply_loop_hold_seconds: int = 3600
    # Texts per number per hour that are processed; beyond that they are stored, not acted on.
    texts_per_hour_registered: int = 120
    texts_per_hour_unknown: int = 3
    texts_per_hour_with_pin: int = 20  # an unknown number whose texts carry a PIN (borrowed phone)
    # Texts from unknown numbers processed per second across all workers: a flood waits, chairs don't.
    unknown_processing_per_second: float = 5.0
    # Messages (segments) per second per sending number; None: 1 with Twilio, unlimited outbox.
    send_rate_per_number: float | None = None
    sweep_interval_seconds: float = 5.0
    sweep_stale_seconds: float = 30.0
    demo: bool = False
    # Seconds a staff member's claim on a backlog item lasts unless renewed; then others may take it.
    claim_ttl_seconds: int = 10 * 60
    # Voice hotline: the staff line's PIN (unset: no staff line), when a waiting caller is offered
    # a call-back, how many calls an hour an unregistered number gets, and the hold music.
    staff_line_pin: str | None = None
    queue_callback_after_seconds: int = 300
    unknown_calls_per_hour: int = 5
    hold_music_url: str = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"

    # --- Hardening (see README "Security") ---
    # How many reverse proxies in front of the web process set X-Forwarded-*; 0 trusts none, so a
    # client cannot choose its own address (login lock-outs are per address) or host.
    trusted_proxies: int = 0
    # Webhook bodies larger than this are refused (413) before they are parsed; Twilio's are ~2 KB.
    webhook_max_bytes: int = 32 * 1024
    # Requests failing Twilio's signature from one address in a minute before it gets 429s.
    rejected_per_source_per_minute: int = 60
    # Staff sign-in: wrong passwords from one address before that address is locked out, and wrong
    # passwords for one username (from anywhere) before its tries are slowed down.
    login_failures_per_address: int = 10
    login_failures_per_username: int = 5
    login_lockout_seconds: int = 15 * 60
    # Public pages and API, and the sign-in form: requests per address per minute (429 beyond).
    public_requests_per_minute: int = 600
    login_requests_per_minute: int = 20
    # Wrong PINs across all precincts in an hour before PIN tries from unregistered phones pause.
    pin_failures_per_hour_global: int = 300
    # The verification log's signed checkpoints: the Ed25519 signing key (PEM text, or a file made
    # by `hotline log keygen` / `make run`), earlier public keys still accepted (rotation), where
    # checkpoints are written, and how often one is taken.
    log_signing_key: str | None = None
    log_signing_key_file: Path | None = None
    log_previous_public_keys: tuple[str, ...] = ()
    checkpoint_dir: Path | None = None
    checkpoint_interval_seconds: int = 60
    # Worksheet photos (MMS) are downloaded from Twilio and kept here: a folder under the instance
    # path by default, or S3-compatible storage with HOTLINE_MEDIA_URL=s3://bucket/prefix (the
    # endpoint of a non-AWS server in HOTLINE_MEDIA_S3_ENDPOINT; credentials from the AWS_* variables).
    media_url: str | None = None
    media_s3_endpoint: str | None = None
    media_max_bytes: int = 5 * 1024 * 1024  # larger media are refused, and the chair told
    # A stored worksheet photo is published once staff mark it as matching the report; on, at once.
    publish_photos_at_once: bool = False
    # Warnings that suggest a copy error (identical-precinct, column-shift) hold the precinct back
    # from the public results until a staff member has looked (services/records/holds.py).
    hold_copy_warnings: bool = True
    # How far an observer's count may differ from the chair's before it is a source conflict
    # (hotline/domain/sources.py): per candidate, for the alignments and for the county delegates.
    conflict_tolerance_alignment: int = 0
    conflict_tolerance_delegates: int = 0
    # When the caucuses start (ISO 8601 with its offset, e.g. 2020-02-03T19:00:00-06:00): the
    # Missing page says how long each precinct has been silent since. Unset: since the night's first report.
    caucus_starts_at: datetime | None = None
    # A reminder or broadcast to more chairs than this is refused (a wrong filter, a wrong roster).
    blast_max_recipients: int = 5000
    # Observability: "json" writes one JSON object per log line (with the request id); "text" is the
    # plain format. A bearer token lets a Prometheus server read /metrics without signing in.
    log_format: str = "text"
    metrics_token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Config":
        """Read settings from `environ` (default os.environ); keyword overrides win."""
        e = os.environ if environ is None else environ
        env = e.get("HOTLINE_ENV", "development")
        instance = Path(e.get("HOTLINE_INSTANCE_PATH", "instance")).resolve()
        token = e.get("TWILIO_AUTH_TOKEN") or None
        numbers = tuple(n.strip() for n in e.get("TWILIO_FROM_NUMBERS", e.get("TWILIO_FROM_NUMBER", "")).split(",") if n.strip())
        cfg = cls(
            env=env,
            instance_path=instance,
            secret_key=e.get("SECRET_KEY") or LOCAL_DEV_SECRET_KEY,
            database_url=_database_url(e.get("DATABASE_URL"), instance),
            redis_url=e.get("REDIS_URL") or None,
            twilio_account_sid=e.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=token or LOCAL_DEV_AUTH_TOKEN,
            twilio_auth_token_set=token is not None,
            twilio_from_numbers=numbers,
            twilio_messaging_service_sid=e.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            twilio_api_base_url=e.get("TWILIO_API_BASE_URL") or None,
            public_base_url=(e.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            dev_skip_twilio_signature=_bool(e.get("HOTLINE_DEV_SKIP_TWILIO_SIGNATURE")),
            code_ttl_seconds=_int(e.get("HOTLINE_CODE_TTL_SECONDS"), cls.code_ttl_seconds),
            code_max_attempts=_int(e.get("HOTLINE_CODE_MAX_ATTEMPTS"), cls.code_max_attempts),
            pin_max_failures=_int(e.get("HOTLINE_PIN_MAX_FAILURES"), cls.pin_max_failures),
            pin_lockout_seconds=_int(e.get("HOTLINE_PIN_LOCKOUT_SECONDS"), cls.pin_lockout_seconds),
            split_window_seconds=_int(e.get("HOTLINE_SPLIT_WINDOW_SECONDS"), cls.split_window_seconds),
            reply_loop_hold_seconds=_int(e.get("HOTLINE_REPLY_LOOP_HOLD_SECONDS"), cls.reply_loop_hold_seconds),
            texts_per_hour_registered=_int(e.get("HOTLINE_TEXTS_PER_HOUR_REGISTERED"), cls.texts_per_hour_registered),
            texts_per_hour_unknown=_int(e.get("HOTLINE_TEXTS_PER_HOUR_UNKNOWN"), cls.texts_per_hour_unknown),
            texts_per_hour_with_pin=_int(e.get("HOTLINE_TEXTS_PER_HOUR_WITH_PIN"), cls.texts_per_hour_with_pin),
            unknown_processing_per_second=_float(e.get("HOTLINE_UNKNOWN_PROCESSING_PER_SECOND"),
                                                 cls.unknown_processing_per_second),
            complete_after_minutes=_int(e.get("HOTLINE_COMPLETE_AFTER_MINUTES"), cls.complete_after_minutes),
            send_rate_per_number=_float(e.get("HOTLINE_SEND_RATE_PER_NUMBER"), 0) or None,
            sweep_interval_seconds=_float(e.get("HOTLINE_SWEEP_INTERVAL_SECONDS"), cls.sweep_interval_seconds),
            demo=_bool(e.get("HOTLINE_DEMO")),
            claim_ttl_seconds=_int(e.get("HOTLINE_CLAIM_TTL_SECONDS"), cls.claim_ttl_seconds),
            staff_line_pin=e.get("HOTLINE_STAFF_LINE_PIN") or None,
            queue_callback_after_seconds=_int(e.get("HOTLINE_QUEUE_CALLBACK_AFTER_SECONDS"),
                                              cls.queue_callback_after_seconds),
            unknown_calls_per_hour=_int(e.get("HOTLINE_UNKNOWN_CALLS_PER_HOUR"), cls.unknown_calls_per_hour),
            hold_music_url=e.get("HOTLINE_HOLD_MUSIC_URL") or cls.hold_music_url,
            trusted_proxies=_int(e.get("HOTLINE_TRUSTED_PROXIES"), cls.trusted_proxies),
            webhook_max_bytes=_int(e.get("HOTLINE_WEBHOOK_MAX_BYTES"), cls.webhook_max_bytes),
            rejected_per_source_per_minute=_int(e.get("HOTLINE_REJECTED_PER_SOURCE_PER_MINUTE"),
                                                cls.rejected_per_source_per_minute),
            login_failures_per_address=_int(e.get("HOTLINE_LOGIN_FAILURES_PER_ADDRESS"),
                                            cls.login_failures_per_address),
            login_failures_per_username=_int(e.get("HOTLINE_LOGIN_FAILURES_PER_USERNAME"),
                                             cls.login_failures_per_username),
            login_lockout_seconds=_int(e.get("HOTLINE_LOGIN_LOCKOUT_SECONDS"), cls.login_lockout_seconds),
            public_requests_per_minute=_int(e.get("HOTLINE_PUBLIC_REQUESTS_PER_MINUTE"),
                                            cls.public_requests_per_minute),
            login_requests_per_minute=_int(e.get("HOTLINE_LOGIN_REQUESTS_PER_MINUTE"),
                                           cls.login_requests_per_minute),
            pin_failures_per_hour_global=_int(e.get("HOTLINE_PIN_FAILURES_PER_HOUR_GLOBAL"),
                                              cls.pin_failures_per_hour_global),
            log_signing_key=e.get("HOTLINE_LOG_SIGNING_KEY") or None,
            log_signing_key_file=_path(e.get("HOTLINE_LOG_SIGNING_KEY_FILE")),
            log_previous_public_keys=tuple(k.strip() for k in
                                           e.get("HOTLINE_LOG_PREVIOUS_PUBLIC_KEYS", "").split(",") if k.strip()),
            checkpoint_dir=_path(e.get("HOTLINE_CHECKPOINT_DIR")),
            checkpoint_interval_seconds=_int(e.get("HOTLINE_CHECKPOINT_INTERVAL_SECONDS"),
                                             cls.checkpoint_interval_seconds),
            media_url=e.get("HOTLINE_MEDIA_URL") or None,
            media_s3_endpoint=e.get("HOTLINE_MEDIA_S3_ENDPOINT") or None,
            media_max_bytes=_int(e.get("HOTLINE_MEDIA_MAX_BYTES"), cls.media_max_bytes),
            publish_photos_at_once=_bool(e.get("HOTLINE_PUBLISH_PHOTOS_AT_ONCE"), cls.publish_photos_at_once),
            hold_copy_warnings=_bool(e.get("HOTLINE_HOLD_COPY_WARNINGS"), cls.hold_copy_warnings),
            conflict_tolerance_alignment=_int(e.get("HOTLINE_CONFLICT_TOLERANCE_ALIGNMENT"),
                                              cls.conflict_tolerance_alignment),
            conflict_tolerance_delegates=_int(e.get("HOTLINE_CONFLICT_TOLERANCE_DELEGATES"),
                                              cls.conflict_tolerance_delegates),
            caucus_starts_at=_when(e.get("HOTLINE_CAUCUS_STARTS_AT")),
            blast_max_recipients=_int(e.get("HOTLINE_BLAST_MAX_RECIPIENTS"), cls.blast_max_recipients),
            log_format=(e.get("HOTLINE_LOG_FORMAT") or cls.log_format).strip().lower(),
            metrics_token=e.get("HOTLINE_METRICS_TOKEN") or None,
        )
        return replace(cfg, **overrides) if overrides else cfg

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def twilio_enabled(self) -> bool:
        """Outbound goes through Twilio's REST API; otherwise to the local outbox."""
        return bool(self.twilio_account_sid and self.twilio_auth_token_set
                    and (self.twilio_from_numbers or self.twilio_messaging_service_sid))

    @property
    def sending_rate(self) -> float | None:
        """The per-number rate actually enforced (None: no limit, the local outbox)."""
        if self.send_rate_per_number:
            return self.send_rate_per_number
        return 1.0 if self.twilio_enabled else None

    @property
    def signing_key_path(self) -> Path:
        """The log's signing key file: HOTLINE_LOG_SIGNING_KEY_FILE, else one in the instance folder."""
        return self.log_signing_key_file or self.instance_path / "log-signing-key.pem"

    @property
    def checkpoints_path(self) -> Path:
        """Where signed checkpoints are written: HOTLINE_CHECKPOINT_DIR, else the instance folder's."""
        return self.checkpoint_dir or self.instance_path / "checkpoints"

    @property
    def media_path(self) -> Path:
        """The local folder worksheet photos are kept in when HOTLINE_MEDIA_URL is not set."""
        return self.instance_path / "media"

    @property
    def verify_signatures(self) -> bool:
        return not self.dev_skip_twilio_signature

    def validate(self) -> "Config":
        """Refuse settings that are unsafe in production; return self for chaining."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"HOTLINE_ENV is {self.env!r}; it must be one of "
                              + ", ".join(ENVIRONMENTS) + " (spelled exactly, lower case)")
        if self.trusted_proxies < 0:
            raise ConfigError("HOTLINE_TRUSTED_PROXIES must be 0 or more")
        if min(self.conflict_tolerance_alignment, self.conflict_tolerance_delegates) < 0:
            raise ConfigError("HOTLINE_CONFLICT_TOLERANCE_ALIGNMENT and _DELEGATES must be 0 or more")
        if self.media_url and not (self.media_url.startswith("s3://") and len(self.media_url) > 5):
            raise ConfigError("HOTLINE_MEDIA_URL must look like s3://bucket/prefix (unset: the instance folder)")
        if self.media_max_bytes < 1:
            raise ConfigError("HOTLINE_MEDIA_MAX_BYTES must be 1 or more")
        if self.log_format not in ("text", "json"):
            raise ConfigError("HOTLINE_LOG_FORMAT must be text or json")
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise ConfigError("HOTLINE_METRICS_TOKEN must be at least 16 characters (a long random value)")
        if self.production:
            problems = []
            if not self.public_base_url or not self.public_base_url.startswith("https://"):
                # Twilio signs the URL it called; without this the URL would come from the
                # request's own Host header, which the caller chooses.
                problems.append("PUBLIC_BASE_URL (https://...) is required in production")
            if not self.twilio_auth_token_set:
                problems.append("TWILIO_AUTH_TOKEN is required in production")
            if self.secret_key == LOCAL_DEV_SECRET_KEY or len(self.secret_key) < 16:
                problems.append("SECRET_KEY must be set to a long random value in production")
            if not self.log_signing_key and not self.log_signing_key_file:
                # Never a key made on the fly in production: it would sign whatever the database
                # holds, and nobody outside would know its public half.
                problems.append("HOTLINE_LOG_SIGNING_KEY or HOTLINE_LOG_SIGNING_KEY_FILE is required "
                                "in production (make one with `hotline log keygen --out FILE`)")
            if self.dev_skip_twilio_signature:
                problems.append("HOTLINE_DEV_SKIP_TWILIO_SIGNATURE may not be used in production")
            if self.twilio_api_base_url:
                problems.append("TWILIO_API_BASE_URL is for tests and drills only")
            if self.staff_line_pin and (len(self.staff_line_pin) < 6 or not self.staff_line_pin.isdigit()):
                problems.append("HOTLINE_STAFF_LINE_PIN must be at least 6 digits in production")
            if problems:
                raise ConfigError("; ".join(problems))
        if self.twilio_account_sid and not self.twilio_enabled:
            raise ConfigError("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN or "
                              "TWILIO_FROM_NUMBERS / TWILIO_MESSAGING_SERVICE_SID is missing")
        return self


def _when(value: str | None) -> datetime | None:
    """An ISO 8601 time; one without an offset is refused (the server's zone is nobody's caucus time)."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ConfigError(f"HOTLINE_CAUCUS_STARTS_AT must be an ISO 8601 time, not {value!r}") from exc
    if at.tzinfo is None:
        raise ConfigError("HOTLINE_CAUCUS_STARTS_AT needs its UTC offset, e.g. 2020-02-03T19:00:00-06:00")
    return at.astimezone(timezone.utc)


def _path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / 'hotline.sqlite3'}"
    # Heroku-style URLs name the old dialect; SQLAlchemy 2 wants postgresql+psycopg.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
