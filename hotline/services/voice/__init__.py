"""Reporting by phone: the keypad steps, the call's state, recording a keypad report, and the
staffed desk (queues, honest waits, call-backs, voicemail, the staff line)."""
