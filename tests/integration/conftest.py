"""Integration tests run against the real stack (Redis, the database, the app)."""
from tests.support.stack import _redis_reachable_again, app, client, config, database_url, redis_server, rt  # noqa: F401
from tests.support.standin import standin, twilio_rt  # noqa: E402,F401  (fixtures: Twilio's API stood in for)
