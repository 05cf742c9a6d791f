"""Web tests run against the real stack (Redis, the database, the app)."""
from tests.support.stack import _redis_reachable_again, app, client, config, database_url, redis_server, rt  # noqa: F401
