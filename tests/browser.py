"""Shared helpers for the browser tests: Debian's Chromium driven by Playwright, against Daphne.

``daphne_server`` runs the real server (``config.settings``: in-memory channel layer, embedded
relay) in a subprocess on the test database, so a browser talks to exactly what ``make serve``
runs. ``Console`` collects everything a page complains about: console errors and warnings,
uncaught errors, failed requests, unexpected HTTP errors, CSP violations and script dialogs.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import daphne

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A phone's browser context: ``chromium.new_context(**PHONE)``.
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def require_browser() -> Any:
    """Playwright's sync API, or a skip (a failure in CI) when Debian's chromium is missing."""
    if not CHROMIUM.exists():
        message = "Debian's chromium is missing: apt-get install -y chromium (make browser)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return pytest.importorskip("playwright.sync_api")


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def database_url() -> str:
    """The test database this process uses, as a URL the server subprocess can open."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@contextlib.contextmanager
def daphne_server(tmp_path: Path, **extra_env: str) -> Iterator[str]:
    """Daphne in a subprocess, on the committed test data (same database, same SECRET_KEY)."""
    from django.conf import settings

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        SWITCHBOARD_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_LEVEL="WARNING",
        **extra_env,
    )
    process, port = daphne.start(env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        daphne.stop(process)


class Console:
    """Everything the page said: console messages, uncaught errors, failed requests.

    ``allowed`` holds HTTP statuses a step expects (a 412 the test provokes, say); set it just
    for that step. ``allow_404`` is the same for 404 alone.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: set[int] = set()
        self.allow_404 = False

    def watch(self, page: Any) -> None:
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def _expected(self, status: int) -> bool:
        return status in self.allowed or (status == 404 and self.allow_404)

    def _failed(self, request: Any) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"a script ran: {dialog.type} {dialog.message}")
        dialog.dismiss()

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not self._expected(response.status):
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _message(self, message: Any) -> None:
        text = message.text
        expected = any(f"status of {status}" in text for status in self.allowed) or (
            "status of 404" in text and self.allow_404
        )
        if message.type in ("error", "warning") and not expected:
            where = (message.location or {}).get("url", "")
            self.problems.append(f"console {message.type}: {text} ({where})")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP: {text}")


def shot(page: Any, folder: str, name: str, *, full_page: bool = True) -> None:
    target = ARTIFACTS / folder
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=full_page, animations="disabled")


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def teammate(server: str, token: str) -> Any:
    """What another member's tab or script does: the REST API with a token."""

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{server}/api/v1{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.loads(response.read() or b"null")

    return call
