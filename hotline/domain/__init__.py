"""The domain core: plain Python, no Flask, SQLAlchemy, Redis, RQ or Twilio imports."""
