"""Operational scripts (run with ``python -m scripts.<name>``)."""
