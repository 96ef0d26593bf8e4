"""Test scenarios as data: steps, assertions, extraction and data tables, checked when saved
and evaluated when run. Pure Python, no Django: the API, the runner and the CLI share it."""
