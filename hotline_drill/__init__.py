"""Load and demo harness for the caucus hotline, kept outside the product package.

`hotline-drill run` plays a whole caucus night against the system in its production shape and
judges it; `hotline-drill simulate` plays a few chairs against a running `make run`. The Twilio
stand-in (`python -m hotline_drill.twilio_standin`) answers the REST API locally. Everything
here talks to the hotline the way the outside world does (signed webhooks, the stand-in's API),
and reads the database only to measure what happened.
"""
