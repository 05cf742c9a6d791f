"""Error answers: TwiML on Twilio routes (a caller or chair always hears something), text elsewhere."""
from __future__ import annotations

import logging

from flask import Flask, Response, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return Response(exc.description or exc.name, status=exc.code or 500, mimetype="text/plain")
        logger.exception("unhandled error on %s", request.path)
        if request.path.startswith("/twilio/"):
            # A 500 would make Twilio retry and the chair hear nothing; the inbox row (if any) is safe.
            return Response(str(MessagingResponse()), status=500, mimetype="text/xml")
        return Response("Something went wrong; it has been logged.", status=500, mimetype="text/plain")
