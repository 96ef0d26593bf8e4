"""The workspace's one live-socket module (live.js), in Debian's Chromium against Daphne: the
rules both sockets follow — backoff with jitter, 4401 to the login page, 4400 and 4404 stop
and say why, and a dropped socket resumes after the last sequence number it saw.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from endpoints.projects.services import project_create
from sessions.models import Event
from tests.browser import Console, require_browser
from tests.factories import log_entry, make_closed_session
from tests.workspace.test_browser import chromium_open
from tests.workspace.test_browser_fixes import browsing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Runs in the page: opens a LiveSocket on `path`, resolves with how it stopped (or "still
# running" after `wait` ms) and how many sockets it opened.
STOP = """async ({ path, wait }) => {
  const { LiveSocket } = await import("/static/workspace/js/live.js");
  let opened = 0;
  return await new Promise((resolve) => {
    const live = new LiveSocket({
      path: () => { opened += 1; return path; },
      onMessage: () => {},
      onStop: (why) => setTimeout(() => resolve({ ...why, opened }), 1500),
    }).start();
    setTimeout(() => { live.close(); resolve({ code: null, opened }); }, wait);
  });
}"""

# Keeps a reference to every WebSocket the page opens, so a test can drop one.
SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();"""


@contextlib.contextmanager
def project_home(make_user: Any, server: str, console: Console, name: str) -> Iterator[Any]:
    """Ada's new project ``name``, its home page open in Chromium; yields (project, page)."""
    ada = make_user("ada")
    project = project_create(actor=ada, name=name)
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        yield project, page


def test_backoff_waits_grow_to_ten_seconds_with_jitter(make_user: Any, server: str) -> None:
    console = Console()
    with project_home(make_user, server, console, "Backoff") as (_, page):
        delays = page.evaluate(
            """async () => {
              const { backoffDelay } = await import("/static/workspace/js/live.js");
              return [0, 1, 2, 3, 4, 5, 9].map((n) => [backoffDelay(n, () => 0), backoffDelay(n, () => 1)]);
            }"""
        )
    assert delays == [
        [250, 500],
        [500, 1000],
        [1000, 2000],
        [2000, 4000],
        [4000, 8000],
        [5000, 10000],
        [5000, 10000],
    ]
    assert console.problems == []


def test_4400_and_4404_stop_and_say_why(make_user: Any, server: str) -> None:
    console = Console()
    with project_home(make_user, server, console, "Refusals") as (project, page):
        bad_after = page.evaluate(
            STOP, {"path": f"/ws/projects/{project.pk}/?after=x", "wait": 8000}
        )
        assert bad_after == {"code": 4400, "detail": "after must be 0 or more.", "opened": 1}
        no_session = page.evaluate(STOP, {"path": "/ws/sessions/999999/?after=0", "wait": 8000})
        assert no_session == {"code": 4404, "detail": "No such session of yours.", "opened": 1}
    assert console.problems == []


def test_4401_goes_to_the_login_page(make_user: Any, server: str) -> None:
    expect = require_browser().expect
    with chromium_open() as chromium:
        page = chromium.new_context().new_page()
        page.goto(f"{server}/accounts/login/")
        page.evaluate(
            """async () => {
              const { LiveSocket } = await import("/static/workspace/js/live.js");
              new LiveSocket({ path: () => "/ws/sessions/1/?after=0", onMessage: () => {} }).start();
            }"""
        )
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Faccounts%2Flogin%2F$"))


def test_a_dropped_session_socket_resumes_after_the_last_entry(make_user: Any, server: str) -> None:
    expect = require_browser().expect
    ada = make_user("ada")
    session = make_closed_session(ada, project="Resume", endpoint="Trades", url="ws://127.0.0.1:9/")
    project, endpoint = session.project, session.endpoint
    assert endpoint is not None  # make_closed_session opens it from an endpoint
    start = timezone.now() - timedelta(minutes=1)
    Event.objects.bulk_create(
        log_entry(session, seq, start + timedelta(seconds=seq), str(seq)) for seq in (1, 2, 3)
    )
    console = Console()
    with browsing(ada, server, console) as page:
        page.add_init_script(SOCKETS)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        expect(page.locator(".log-count")).to_have_text("3 entries")
        urls = "() => window.__sockets.map((s) => s.url).filter((u) => u.includes('/ws/sessions/'))"
        assert page.evaluate(urls) == [
            f"{server.replace('http', 'ws')}/ws/sessions/{session.pk}/?after=0&acks=events"
        ]
        page.evaluate(
            "() => window.__sockets.find((s) => s.url.includes('/ws/sessions/')).close(4000)"
        )
        page.wait_for_function(
            "() => window.__sockets.filter((s) => s.url.includes('/ws/sessions/')).length === 2"
        )
        assert page.evaluate(urls)[1].endswith(f"/ws/sessions/{session.pk}/?after=3&acks=events")
        page.wait_for_timeout(500)
        expect(page.locator(".log-count")).to_have_text("3 entries")
    assert console.problems == []
