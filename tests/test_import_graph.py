"""The import graph of the project's own modules, read from the source with ``ast``: no circle
(an import inside a function or under ``TYPE_CHECKING`` counts: hiding one does not remove it),
``core/`` imports no app, ``config/`` only in its wiring roots (ASGI, routing, URLs), and no
app imports ``config/``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = frozenset({"accounts", "docs_app", "endpoints", "mocks", "sessions", "workspace"})
SHARED = frozenset({"config", "core"})
# config's wiring of the whole server (the ASGI application, its WebSocket routes and URL
# roots) is the one place that names every app; nothing else in config/ may, and core/ never.
WIRING = frozenset({"config.asgi", "config.routing", "config.urls"})


def project_modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the apps and shared layers that exist."""
    modules: dict[str, Path] = {}
    for top in sorted(APPS | SHARED):
        for path in sorted((ROOT / top).rglob("*.py")) if (ROOT / top).is_dir() else ():
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_names(path: Path, module: str, is_package: bool) -> set[str]:
    """Every dotted name ``path`` imports, wherever the import statement is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            # ``from package import module`` imports the module.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path, name, path.name == "__init__.py"):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            # A package's own __init__ on the way to a module is not an edge worth a circle.
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_checker_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_relay_and_the_sessions_app_import_no_circle() -> None:
    graph = import_graph()
    sessions = {
        name: {target for target in targets if target.split(".")[0] == "sessions"}
        for name, targets in graph.items()
        if name.split(".")[0] == "sessions"
    }
    assert "sessions.relay.upstream" in sessions
    assert find_cycle(sessions) is None


def test_the_project_imports_no_circle() -> None:
    assert find_cycle(import_graph()) is None


def test_an_upstream_connection_knows_its_relay_only_through_an_interface() -> None:
    graph = import_graph()
    assert "sessions.relay.server" not in graph["sessions.relay.upstream"]
    assert "sessions.relay.embedded" not in graph["sessions.relay.server"]
    for name, targets in graph.items():
        if name.startswith("sessions.relay."):
            assert "sessions.services" not in targets, name


def app_imports(layer: str) -> set[tuple[str, str]]:
    """(module, app module it imports) for every module of ``layer`` outside the wiring."""
    return {
        (name, target)
        for name, targets in import_graph().items()
        if name.split(".")[0] == layer and name not in WIRING
        for target in targets
        if target.split(".")[0] in APPS
    }


def test_core_imports_no_app() -> None:
    assert not app_imports("core")


def test_config_imports_apps_only_in_its_wiring() -> None:
    assert not app_imports("config")
    assert all(module.startswith("config.") for module in WIRING)


def test_apps_do_not_import_config() -> None:
    # What an app needs from the server's Daphne adjustments lives in core/ (core/ws.py), so
    # config/ and the apps do not depend on each other; settings are read via django.conf.
    offenders = {
        (name, target)
        for name, targets in import_graph().items()
        if name.split(".")[0] in APPS
        for target in targets
        if target.split(".")[0] == "config"
    }
    assert not offenders
