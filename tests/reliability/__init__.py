"""Reliability: the scaled deployment, fault injection and load (docs/reliability.md)."""
