"""The verification log: the append-only hash chain every step writes to, and searching it."""
