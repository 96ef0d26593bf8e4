"""Environments, variables and private current values; resolver.py substitutes {{name}}."""
