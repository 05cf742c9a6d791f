"""Whether this process can reach its database and Redis (for load balancers and the drill)."""
from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from hotline.services.units import Units


def check(units: Units, redis: Redis) -> dict[str, str]:
    """"ok" or "error: <kind>" for the database and for Redis."""
    status: dict[str, str] = {}
    try:
        with units.reading() as session:
            session.execute(text("SELECT 1"))
        status["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        redis.ping()
        status["redis"] = "ok"
    except RedisError as exc:
        status["redis"] = f"error: {exc.__class__.__name__}"
    return status
