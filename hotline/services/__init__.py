"""Use cases, grouped by whom they serve: `sms`, `voice`, `console`, `results`, `log`, `ops`.

`records` holds what they share (reports and codes, checks, backlog items, the outbox, lock-out
counters, the roster), and `units` the one calling convention every use case follows.
"""
