"""Reporting by text: the webhook's admission and durable inbox, then one job per text that
parses it, authenticates the sender and answers (read-back, confirmation, fix-it text)."""
