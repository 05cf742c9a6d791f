"""Shared test support: the running stack (`stack`) and chairs texting it (`chairs`)."""
