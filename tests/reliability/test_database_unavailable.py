"""When the database cannot be reached, requests fail cleanly: 503 ``database_unavailable`` in
the one error shape (a page outside the API: a plain 503), and they succeed again as soon as it
is back. The outage is real: the connection settings point at a port nobody listens on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from scripts.scaled import free_port
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_unreachable() -> Iterator[None]:
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_requests_fail_with_503_while_the_database_is_down(team, bearer_client):
    api = bearer_client(team.admin)
    url = f"/api/v1/projects/{team.project.pk}/"
    assert api.get(url).status_code == 200
    with database_unreachable():
        for response in (
            api.get(url),
            api.patch(url, {"name": "Renamed"}, format="json"),
            api.get("/api/v1/sessions/"),
        ):
            body = assert_error(response, 503, "database_unavailable")
            assert set(body) == {"code", "detail"}
            assert response["Retry-After"] == "5"
        page = Client().get("/share/" + "x" * 43 + "/")
        assert page.status_code == 503 and page["Content-Type"].startswith("text/plain")
        assert Client().get("/healthz").status_code == 503
    # Back: the next requests open a fresh connection.
    assert api.get(url).status_code == 200
    assert api.patch(url, {"name": "Renamed"}, format="json").status_code == 200
