"""The ceilings the drill compares against: a no-op webhook and a no-op RQ job."""
from __future__ import annotations

from flask import Flask, Response

NOOP_QUEUE = "drill-noop"


def create_app() -> Flask:
    """A Flask app that answers the SMS webhook with empty TwiML and does nothing else."""
    app = Flask(__name__)

    @app.post("/twilio/sms")
    def sms() -> Response:
        return Response("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response />", mimetype="text/xml")

    return app


def noop_job() -> None:
    """An RQ job that does nothing."""


def noop_on_failure(*_args: object) -> None:
    """A failure callback that does nothing (our jobs carry one, so the no-op jobs do too)."""


def main() -> None:
    """A no-op worker: `python -m hotline_drill.noop REDIS_URL NAME` (the same class as ours)."""
    import sys

    from rq import SimpleWorker

    from hotline.adapters.queues import worker_connection

    url, name = sys.argv[1], sys.argv[2]
    SimpleWorker([NOOP_QUEUE], connection=worker_connection(url), name=name).work(logging_level="ERROR")


if __name__ == "__main__":
    main()
