"""All configuration, read once from environment variables with safe local defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

# The token the local simulator signs with when no Twilio account is configured.
# It protects nothing real: production refuses to start without TWILIO_AUTH_TOKEN.
LOCAL_DEV_AUTH_TOKEN = "local-dev-auth-token"
LOCAL_DEV_SECRET_KEY = "local-dev-secret-key-not-for-production"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for the chosen mode."""


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
    def verify_signatures(self) -> bool:
        return not self.dev_skip_twilio_signature

    def validate(self) -> "Config":
        """Refuse settings that are unsafe in production; return self for chaining."""
        if self.production:
            problems = []
            if not self.twilio_auth_token_set:
                problems.append("TWILIO_AUTH_TOKEN is required in production")
            if self.secret_key == LOCAL_DEV_SECRET_KEY or len(self.secret_key) < 16:
                problems.append("SECRET_KEY must be set to a long random value in production")
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


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / 'hotline.sqlite3'}"
    # Heroku-style URLs name the old dialect; SQLAlchemy 2 wants postgresql+psycopg.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
