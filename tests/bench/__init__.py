"""Benchmarks, run with ``python -m tests.bench [name]``; each is a ``bench_<name>.py`` module.

A benchmark module exposes ``main(argv: list[str]) -> int`` and returns non-zero when it misses
its target. Benchmarks are not collected by pytest (``norecursedirs`` in pyproject.toml).
"""
