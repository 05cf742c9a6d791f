"""The ceilings the drill compares against: a no-op webhook and a no-op RQ job."""
from __future__ import annotations

from flask import Flask, Response


def create_app() -> Flask:
    """A Flask app that answers the SMS webhook with empty TwiML and does nothing else."""
    app = Flask(__name__)

    @app.post("/twilio/sms")
    def sms() -> Response:
        return Response("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response />", mimetype="text/xml")

    return app


def noop_job() -> None:
    """An RQ job that does nothing."""
