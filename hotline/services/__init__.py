"""Use cases: load through the session, call the domain core, record, schedule side effects."""
