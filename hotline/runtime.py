"""The composition root: the adapters a process needs, built once, and the jobs handed to RQ."""
from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from hotline.adapters.db import WORKER, Database
from hotline.adapters.media_store import MediaStore, make_media_store
from hotline.adapters.queues import JobTable, Queues, connect
from hotline.adapters.sending_rate import SendingRate
from hotline.adapters.twilio_calls import Caller, make_caller
from hotline.adapters.twilio_sms import Sender, make_sender
from hotline.config import Config
from hotline.services.units import Units
from workers import duties, failures, media, sending, sms


@dataclass
class Runtime:
    """Everything one process talks to. Use cases get `units` and the narrow parts they name."""

    db: Database
    redis: Redis
    queues: Queues
    units: Units
    sender: Sender
    caller: Caller
    media: MediaStore
    rate: SendingRate | None = None

    @property
    def config(self) -> Config:
        """The settings, held once (by `units`), so a change is seen by every use case."""
        return self.units.config

    @config.setter
    def config(self, value: Config) -> None:
        self.units.config = value

    def close(self) -> None:
        """Release database connections and the Redis client (commands and tests call this)."""
        self.db.dispose()
        self.redis.close()


# What RQ runs for each kind of job: passed as callables, so renaming one is a code change the
# tests see, not a string that fails in production.
JOBS = JobTable(inbound=sms.process_inbound, send=sending.send_message, throttled=sms.note_throttled,
                duty=duties.run_duty, photo=media.fetch_photo, on_failure=failures.on_failure)


def build(config: Config, rank: int = WORKER) -> Runtime:
    """Wire the real adapters for `config` (which must name a Redis URL by now).

    `rank`: db.WEB for a web process, db.SENDER for a sender: whose writes go first (SQLite).
    """
    if not config.redis_url:
        raise RuntimeError("REDIS_URL is not set; `hotline run` starts an embedded Redis for local use")
    redis = connect(config.redis_url)
    db = Database(config.database_url, rank)
    queues = Queues(redis, JOBS)
    rate = SendingRate(redis, config.sending_rate) if config.sending_rate else None
    return Runtime(db=db, redis=redis, queues=queues, units=Units(db, queues, config),
                   sender=make_sender(config), caller=make_caller(config), media=make_media_store(config),
                   rate=rate)
