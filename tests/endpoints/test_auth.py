"""The Auth tab's pure rules (endpoints/auth.py): checking, showing, inheriting, resolving."""

from __future__ import annotations

import base64

import pytest

from core.errors import ValidationFailed
from endpoints.auth import (
    auth_public,
    auth_scheme,
    clean_auth,
    effective_auth,
    folder_chain,
    resolve_auth,
)
from endpoints.errors import UnresolvedVariables

MASK = "••••"


def test_credentials_are_shown_only_when_they_are_nothing_but_references() -> None:
    assert auth_public({"type": "bearer", "token": "abc"}) == {
        "type": "bearer",
        "token": None,
        "token_set": True,
    }
    assert auth_public({"type": "bearer", "token": " {{a}}{{b}} "})["token"] == " {{a}}{{b}} "
    assert auth_public({"type": "bearer", "token": "x{{a}}"})["token"] is None
    assert auth_public({"type": "basic", "username": "u", "password": ""}) == {
        "type": "basic",
        "username": "u",
        "password": None,
        "password_set": False,
    }
    assert auth_public({}) == {"type": "inherit"}
    assert auth_public({}, top=True) == {"type": "none"}


def test_null_keeps_the_stored_value_of_the_same_type_only() -> None:
    stored = {"type": "basic", "username": "u", "password": "p"}
    assert clean_auth(auth_public(stored), stored=stored) == stored
    assert clean_auth({"type": "basic", "password": "q"}, stored=stored) == {
        "type": "basic",
        "username": "u",
        "password": "q",
    }
    assert clean_auth({"type": "bearer"}, stored=stored) == {"type": "bearer", "token": ""}


@pytest.mark.parametrize(
    "value, field",
    [
        ({"type": "inherit"}, "auth.type"),
        ({"type": "bearer", "token": "a\rb"}, "auth.token"),
        ({"type": "bearer", "token": "x" * 9000}, "auth.token"),
        ({"type": "bearer", "token": 5}, "auth.token"),
        ({"type": "bearer", "token": "a\x00"}, "auth.token"),
    ],
)
def test_the_project_tab_cannot_inherit_and_values_are_one_line(
    value: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_auth(value, top=True)
    assert field in caught.value.extra["fields"]


def test_the_nearest_tab_that_does_not_inherit_wins() -> None:
    bearer = {"type": "bearer", "token": "t"}
    key = {"type": "api_key", "name": "k", "value": "v", "in": "header"}
    folders = {1: (None, key), 2: (1, {}), 3: (2, {"type": "inherit"})}
    chain = folder_chain(3, folders)
    assert [folder for folder, _ in chain] == [3, 2, 1]
    found = effective_auth({}, chain, bearer)
    assert (found.source, found.folder_id, found.auth) == ("folder", 1, key)
    assert effective_auth({"type": "none"}, chain, bearer).source == "own"
    assert effective_auth({}, [], bearer).source == "project"
    assert effective_auth({}, [], {}).auth == {"type": "none"}
    # A cycle in the parent links (never stored, but a chain must end).
    assert len(folder_chain(1, {1: (2, {}), 2: (1, {})})) == 2


def test_resolving_masks_the_credential_whole() -> None:
    applied = resolve_auth(
        {"type": "basic", "username": "{{user}}", "password": "p{{pw}}"},
        {"user": "ada", "pw": "ss"},
        {"pw"},
    )
    encoded = base64.b64encode(b"ada:pss").decode()
    assert applied.header == ("Authorization", f"Basic {encoded}")
    assert applied.shown_header == ("Authorization", f"Basic {MASK}")
    assert set(applied.credentials) == {encoded, "pss"}
    query = resolve_auth({"type": "api_key", "name": "key", "value": "v", "in": "query"}, {})
    assert (query.query, query.shown_query, query.header) == (("key", "v"), ("key", MASK), None)
    assert resolve_auth({"type": "none"}, {}).credentials == []


def test_resolving_reports_every_unknown_reference_and_bad_results() -> None:
    with pytest.raises(UnresolvedVariables) as caught:
        resolve_auth({"type": "basic", "username": "{{a}}", "password": "{{b}}"}, {})
    assert [(u.name, u.where) for u in caught.value.unresolved] == [
        ("a", "auth.username"),
        ("b", "auth.password"),
    ]
    with pytest.raises(ValidationFailed) as failed:
        resolve_auth({"type": "bearer", "token": "{{t}}"}, {"t": "a\nb"})
    assert "auth.token" in failed.value.extra["fields"]
    assert "a\nb" not in str(failed.value.extra)
    with pytest.raises(ValidationFailed):
        resolve_auth({"type": "api_key", "name": "{{n}}", "value": "v"}, {"n": "bad name"})


def test_the_scheme_docs_pages_show() -> None:
    assert auth_scheme({"type": "bearer", "token": "t"}) == {
        "type": "bearer",
        "label": "Bearer token",
    }
    assert auth_scheme({"type": "api_key", "name": "k", "value": "v", "in": "query"})["label"] == (
        "API key in the query (k)"
    )
    assert auth_scheme({})["type"] == "none"
