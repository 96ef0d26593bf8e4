"""An export reads a fixed number of queries whatever the size of the project: the same count
for 2 and 24 endpoints (folders, tags, assignees, messages, environments, schemas), over the
API and on a share page."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docs_app import services as docs_services
from tests.factories import grow_tree, make_env, make_var


def _count(fetch: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def test_the_export_does_not_grow_with_the_project(team: Any, client_for: Any) -> None:
    api = client_for(team.viewer)
    make_var(team, "region", "eu", env=make_env(team, "Staging", "wss://{{region}}.example.test"))
    url = f"/api/v1/projects/{team.project.pk}/asyncapi.yaml"
    _, token = docs_services.share_link_create(
        project=team.project, actor=team.admin, name="All", show_assignee=True
    )
    reader = Client()
    grow_tree(team, 1, 2)
    small = _count(lambda: api.get(url))
    small_page = _count(lambda: reader.get(f"/share/{token}/asyncapi.yaml"))
    grow_tree(team, 3, 8)
    assert _count(lambda: api.get(url)) == small
    assert _count(lambda: reader.get(f"/share/{token}/asyncapi.yaml")) == small_page
