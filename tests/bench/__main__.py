"""Run the benchmarks: ``python -m tests.bench`` runs all, ``python -m tests.bench NAME [ARGS]`` one.

Benchmarks are discovered as ``tests/bench/bench_<name>.py`` modules with ``main(argv) -> int``.
Running all of them starts one child process per benchmark, because each one configures Django
(settings, its own database) for itself and Django can be set up only once per process.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

PREFIX = "bench_"
PACKAGE = __package__ or "tests.bench"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def discover() -> list[str]:
    """Names of the benchmarks (``bench_workspace.py`` is ``workspace``), sorted."""
    folder = Path(__file__).resolve().parent
    return sorted(
        info.name.removeprefix(PREFIX)
        for info in pkgutil.iter_modules([str(folder)])
        if info.name.startswith(PREFIX) and not info.ispkg
    )


def run_one(name: str, argv: list[str]) -> int:
    module = importlib.import_module(f"{PACKAGE}.{PREFIX}{name}")
    return int(module.main(argv) or 0)


def run_all(names: list[str]) -> int:
    failed = []
    for name in names:
        print(f"=== benchmark {name} ===", flush=True)
        code = subprocess.call([sys.executable, "-m", PACKAGE, name], cwd=PROJECT_ROOT)
        if code != 0:
            failed.append(f"{name} (exit {code})")
    print(f"=== {len(names) - len(failed)} of {len(names)} benchmarks met their targets ===")
    if failed:
        print("missed or failed: " + ", ".join(failed))
    return 1 if failed else 0


USAGE = """usage: python -m tests.bench [NAME [ARGS...]]

Runs every benchmark, or only NAME with ARGS passed to it (try NAME --help).
Benchmarks: {names}
"""


def main(argv: list[str]) -> int:
    names = discover()
    if not argv:
        return run_all(names)
    if argv[0] in {"-h", "--help"}:
        print(USAGE.format(names=", ".join(names) or "(none)"))
        return 0
    if argv[0] in {"-l", "--list"}:
        print("\n".join(names))
        return 0
    if argv[0] not in names:
        print(f"No benchmark named {argv[0]!r}; known: {', '.join(names) or '(none)'}.")
        return 2
    return run_one(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
