"""Adapters: the outside world behind small interfaces (database, Redis and RQ, Twilio).

Services call these; nothing here knows about chairs, reports or the caucus rules beyond the
table definitions in `models`.
"""
