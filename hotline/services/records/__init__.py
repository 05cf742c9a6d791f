"""The records every use case shares: reports and their codes, the checks on them, backlog items,
the outbox, lock-out counters and the roster."""
