"""Shared fixtures: users, authenticated API clients, a project with one member of each role."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.tokens import token_create
from endpoints.models import Project, Role
from endpoints.projects.services import member_add, project_create

User = get_user_model()
_counter = itertools.count(1)


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    def make(username: str | None = None, password: str = "pw-correct-horse", **extra: Any) -> Any:
        name = username or f"user{next(_counter)}"
        return User.objects.create_user(name, f"{name}@example.test", password, **extra)

    return make


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """An API client that authenticates as ``user`` (no token lookup, so query counts stay exact)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def bearer_client(db: None) -> Callable[[Any], APIClient]:
    """An API client that sends a real personal access token, as a script would."""

    def make(user: Any) -> APIClient:
        _, secret = token_create(user=user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@dataclass
class Team:
    project: Project
    admin: Any
    editor: Any
    viewer: Any
    outsider: Any

    def user(self, role: str) -> Any:
        return getattr(self, role)


@pytest.fixture
def team(make_user: Callable[..., Any]) -> Team:
    admin, editor, viewer, outsider = (make_user(n) for n in ("ada", "eve", "vic", "otto"))
    project = project_create(actor=admin, name="Trading API", description="Quotes")
    member_add(project=project, user_ref=editor.pk, role=Role.EDITOR)
    member_add(project=project, user_ref=viewer.pk, role=Role.VIEWER)
    return Team(project, admin, editor, viewer, outsider)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: code and detail always, fields for validation errors."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert_error_body(body, code)
    return body


def assert_error_body(body: dict[str, Any], code: str | None = None) -> None:
    """An error body of the one shape (with ``code``, when given)."""
    assert isinstance(body.get("code"), str) and isinstance(body.get("detail"), str), body
    if code is not None:
        assert body["code"] == code, body
    if body["code"] == "validation_error":
        assert isinstance(body.get("fields"), dict) and body["fields"], body


@pytest.fixture
def server(tmp_path: Any) -> Any:
    """Daphne in a subprocess on the test database, for browser tests (see tests/browser.py)."""
    from tests.browser import daphne_server

    with daphne_server(tmp_path) as url:
        yield url
