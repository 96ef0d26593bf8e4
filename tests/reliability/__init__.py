"""Reliability: the scaled deployment, fault injection and load (README "Reliability")."""
