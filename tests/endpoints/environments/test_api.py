"""Environments, variables and private current values through the REST API, against PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from endpoints.environments.selectors import variable_sources_for, variable_values_for
from endpoints.environments.services import current_value_set, environment_create
from endpoints.models import CurrentValue, Environment, Role, Variable
from endpoints.projects.services import member_remove, project_create
from tests.conftest import Team, assert_error
from tests.factories import make_endpoint, make_env, make_var

SECRET = "S3CR3T-shared-value-Zq9"
SECRET_ENV = "S3CR3T-env-value-Xk2"
ADA_SECRET_CURRENT = "S3CR3T-ada-current-Jp4"
EVE_PRIVATE = "eve-private-current-Hh7"
VIC_PRIVATE = "vic-private-current-Lm3"
ALL_HIDDEN = (SECRET, SECRET_ENV, ADA_SECRET_CURRENT, EVE_PRIVATE, VIC_PRIVATE)


def base(team: Team) -> str:
    return f"/api/v1/projects/{team.project.pk}"


# --- environments ---------------------------------------------------------------------------


def test_environment_crud_and_reorder(team: Team, client_for: Callable) -> None:
    api = client_for(team.editor)
    url = f"{base(team)}/environments/"
    staging = api.post(url, {"name": "Staging", "base_url": "wss://stg.test"}, format="json")
    assert staging.status_code == 201, staging.json()
    assert staging.json()["base_url"] == "wss://stg.test"
    assert staging.json()["variable_count"] == 0
    prod = api.post(url, {"name": "Production"}, format="json").json()
    local = api.post(url, {"name": "Local", "position": 0}, format="json").json()
    assert [e["name"] for e in api.get(url).json()] == ["Local", "Staging", "Production"]

    duplicate = api.post(url, {"name": "staging"}, format="json")
    assert "name" in assert_error(duplicate, 400, "validation_error")["fields"]
    bad_base = api.post(url, {"name": "X", "base_url": "wss://a b"}, format="json")
    assert "base_url" in assert_error(bad_base, 400, "validation_error")["fields"]

    detail = f"{url}{prod['id']}/"
    renamed = api.patch(detail, {"name": "Prod", "position": 0}, format="json", HTTP_IF_MATCH='"1"')
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["version"] == 2 and renamed["ETag"] == '"2"'
    assert [e["name"] for e in api.get(url).json()] == ["Prod", "Local", "Staging"]
    stale = api.patch(detail, {"name": "Again"}, format="json", HTTP_IF_MATCH='"1"')
    assert assert_error(stale, 412, "version_conflict")["current_version"] == 2
    clash = api.patch(detail, {"name": "LOCAL"}, format="json")
    assert_error(clash, 400, "validation_error")

    make_var(team, "token", "t", env=Environment.objects.get(pk=local["id"]))
    assert api.get(f"{url}{local['id']}/").json()["variable_count"] == 1
    assert api.delete(f"{url}{local['id']}/").status_code == 204
    assert not Variable.objects.filter(environment_id=local["id"]).exists()
    assert_error(api.get(f"{url}{local['id']}/"), 404, "not_found")
    assert_error(api.delete(detail, HTTP_IF_MATCH='"1"'), 412, "version_conflict")
    assert api.delete(detail, HTTP_IF_MATCH='"2"').status_code == 204


# --- variables ------------------------------------------------------------------------------


def test_variable_crud_scopes_and_versions(team: Team, client_for: Callable) -> None:
    api = client_for(team.editor)
    url = f"{base(team)}/variables/"
    env = make_env(team, "Staging")
    created = api.post(
        url,
        {"name": "host", "initial_value": "  g.test ", "description": "API host"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    global_host = created.json()
    assert global_host["environment"] is None
    assert global_host["initial_value"] == "  g.test "  # values are kept exactly
    assert global_host["value_set"] is True and global_host["current_value"] is None
    env_host = api.post(
        url, {"name": "host", "environment": env.pk, "initial_value": "s.test"}, format="json"
    ).json()
    assert env_host["environment"] == env.pk
    api.post(url, {"name": "a", "position": 0}, format="json")

    assert [v["name"] for v in api.get(url, {"environment": "global"}).json()] == ["a", "host"]
    assert [v["id"] for v in api.get(url, {"environment": env.pk}).json()] == [env_host["id"]]
    assert [v["name"] for v in api.get(url).json()] == ["a", "host", "host"]
    assert_error(api.get(url, {"environment": "nope"}), 400, "validation_error")

    dup = api.post(url, {"name": "host"}, format="json")
    assert "already exists" in assert_error(dup, 400)["fields"]["name"][0]
    bad_name = api.post(url, {"name": "9 lives"}, format="json")
    assert "name" in assert_error(bad_name, 400, "validation_error")["fields"]
    dollar = api.post(url, {"name": "$timestamp"}, format="json")
    assert_error(dollar, 400, "validation_error")

    other_team_env = environment_create(
        project=project_create(actor=team.outsider, name="Other"),
        actor=team.outsider,
        name="Theirs",
    )
    foreign = api.post(url, {"name": "x", "environment": other_team_env.pk}, format="json")
    assert "environment" in assert_error(foreign, 400, "validation_error")["fields"]

    detail = f"{url}{global_host['id']}/"
    changed = api.patch(detail, {"initial_value": "g2.test", "version": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert changed.json()["initial_value"] == "g2.test"
    stale = api.patch(detail, {"initial_value": "lost"}, format="json", HTTP_IF_MATCH='"1"')
    body = assert_error(stale, 412, "version_conflict")
    assert body["current_version"] == 2 and body["updated_by"]["username"] == "eve"
    rename_clash = api.patch(detail, {"name": "a"}, format="json")
    assert_error(rename_clash, 400, "validation_error")
    move = api.patch(detail, {"environment": env.pk}, format="json")
    assert "environment" in assert_error(move, 400)["fields"]
    assert api.get(detail).json()["initial_value"] == "g2.test"

    assert api.delete(detail, HTTP_IF_MATCH='"1"').status_code == 412
    assert api.delete(detail, HTTP_IF_MATCH='"2"').status_code == 204
    assert_error(api.get(detail), 404, "not_found")


def test_unmarking_a_secret_does_not_reveal_it(team: Team, client_for: Callable) -> None:
    api = client_for(team.admin)
    variable = make_var(team, "token", SECRET, secret=True)
    detail = f"{base(team)}/variables/{variable.pk}/"
    revealed = api.patch(detail, {"secret": False}, format="json")
    assert revealed.status_code == 200
    assert revealed.json()["initial_value"] == "" and revealed.json()["value_set"] is False
    assert SECRET not in revealed.content.decode()
    again = make_var(team, "other", SECRET, secret=True)
    replaced = api.patch(
        f"{base(team)}/variables/{again.pk}/",
        {"secret": False, "initial_value": "public"},
        format="json",
    )
    assert replaced.json()["initial_value"] == "public"


def test_current_values_are_private_to_their_owner(team: Team, client_for: Callable) -> None:
    variable = make_var(team, "user", "shared")
    url = f"{base(team)}/variables/{variable.pk}/current/"
    for user, value in ((team.viewer, VIC_PRIVATE), (team.editor, EVE_PRIVATE)):
        response = client_for(user).put(url, {"value": value}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["current_value"] == value
        assert response.json()["current_value_set"] is True
        assert response.json()["initial_value"] == "shared"

    listing = f"{base(team)}/variables/"
    as_admin = client_for(team.admin).get(listing)
    assert as_admin.json()[0]["current_value"] is None
    assert as_admin.json()[0]["current_value_set"] is False
    for hidden in (VIC_PRIVATE, EVE_PRIVATE):
        assert hidden not in as_admin.content.decode()
    as_viewer = client_for(team.viewer).get(listing).content.decode()
    assert VIC_PRIVATE in as_viewer and EVE_PRIVATE not in as_viewer

    assert client_for(team.viewer).delete(url).status_code == 204
    assert client_for(team.viewer).get(listing).json()[0]["current_value_set"] is False
    assert client_for(team.editor).get(listing).json()[0]["current_value"] == EVE_PRIVATE
    assert client_for(team.viewer).delete(url).status_code == 204  # clearing twice is fine
    empty = client_for(team.viewer).put(url, {"value": ""}, format="json").json()
    assert empty["current_value"] == "" and empty["current_value_set"] is True

    member_remove(project=team.project, user_id=team.editor.pk, actor=team.admin)
    assert not CurrentValue.objects.filter(user=team.editor).exists()


# --- who may do what ------------------------------------------------------------------------

ROLE_MATRIX = [
    # (action, allowed roles, status when allowed)
    ("list_environments", {"admin", "editor", "viewer"}, 200),
    ("get_environment", {"admin", "editor", "viewer"}, 200),
    ("create_environment", {"admin", "editor"}, 201),
    ("rename_environment", {"admin", "editor"}, 200),
    ("delete_environment", {"admin", "editor"}, 204),
    ("list_variables", {"admin", "editor", "viewer"}, 200),
    ("get_variable", {"admin", "editor", "viewer"}, 200),
    ("create_variable", {"admin", "editor"}, 201),
    ("update_variable", {"admin", "editor"}, 200),
    ("delete_variable", {"admin", "editor"}, 204),
    ("set_current_value", {"admin", "editor", "viewer"}, 200),
    ("clear_current_value", {"admin", "editor", "viewer"}, 204),
    ("endpoint_variables", {"admin", "editor", "viewer"}, 200),
    ("preview", {"admin", "editor", "viewer"}, 200),
]


def _call(action: str, api: Any, team: Team, env: Any, variable: Any, endpoint: Any) -> Any:
    root = base(team)
    env_url = f"{root}/environments/{env.pk}/"
    var_url = f"{root}/variables/{variable.pk}/"
    calls = {
        "list_environments": lambda: api.get(f"{root}/environments/"),
        "get_environment": lambda: api.get(env_url),
        "create_environment": lambda: api.post(
            f"{root}/environments/", {"name": "New"}, format="json"
        ),
        "rename_environment": lambda: api.patch(env_url, {"name": "Renamed"}, format="json"),
        "delete_environment": lambda: api.delete(env_url),
        "list_variables": lambda: api.get(f"{root}/variables/"),
        "get_variable": lambda: api.get(var_url),
        "create_variable": lambda: api.post(f"{root}/variables/", {"name": "n"}, format="json"),
        "update_variable": lambda: api.patch(var_url, {"initial_value": "v"}, format="json"),
        "delete_variable": lambda: api.delete(var_url),
        "set_current_value": lambda: api.put(f"{var_url}current/", {"value": "m"}, format="json"),
        "clear_current_value": lambda: api.delete(f"{var_url}current/"),
        "endpoint_variables": lambda: api.get(f"{root}/endpoints/{endpoint.pk}/variables/"),
        "preview": lambda: api.post(
            f"{root}/endpoints/{endpoint.pk}/preview/", {"environment": env.pk}, format="json"
        ),
    }
    return calls[action]()


@pytest.mark.parametrize("role", ["admin", "editor", "viewer", "outsider"])
@pytest.mark.parametrize(("action", "allowed", "ok_status"), ROLE_MATRIX)
def test_permission_matrix(
    team: Team, client_for: Callable, role: str, action: str, allowed: set[str], ok_status: int
) -> None:
    env = make_env(team, "Staging")
    variable = make_var(team, "host", "h.test")
    endpoint = make_endpoint(team, actor=team.admin, url="wss://{{host}}/x")
    response = _call(action, client_for(team.user(role)), team, env, variable, endpoint)
    if role == "outsider":
        assert_error(response, 404, "not_found")
    elif role in allowed:
        assert response.status_code == ok_status, (response.status_code, response.content[:300])
    else:
        assert_error(response, 403, "permission_denied")


def test_anonymous_is_refused(team: Team, client_for: Callable) -> None:
    response = client_for(None).get(f"{base(team)}/variables/")
    assert_error(response, 401, "not_authenticated")


# --- precedence -----------------------------------------------------------------------------

PRECEDENCE_CASES = [
    # (environment, member current values {var: value}, overrides, expected value of "host")
    (None, {}, {}, "global"),
    ("one", {}, {}, "env-one"),
    ("two", {}, {}, "env-two"),
    ("none_defined", {}, {}, "global"),
    (None, {"global": "mine-global"}, {}, "mine-global"),
    ("one", {"global": "mine-global"}, {}, "mine-global"),
    ("one", {"one": "mine-one"}, {}, "mine-one"),
    ("one", {"one": "mine-one", "global": "mine-global"}, {}, "mine-one"),
    ("two", {"one": "mine-one"}, {}, "env-two"),  # another environment's value never applies
    ("two", {"one": "mine-one", "global": "mine-global"}, {}, "mine-global"),
    ("one", {"one": "mine-one"}, {"host": "override"}, "override"),
    (None, {}, {"host": "override"}, "override"),
]


@pytest.mark.parametrize(("env_name", "currents", "overrides", "expected"), PRECEDENCE_CASES)
def test_precedence(
    team: Team,
    client_for: Callable,
    env_name: str | None,
    currents: dict[str, str],
    overrides: dict[str, str],
    expected: str,
) -> None:
    envs = {name: make_env(team, name) for name in ("one", "two", "none_defined")}
    variables = {
        "global": make_var(team, "host", "global"),
        "one": make_var(team, "host", "env-one", env=envs["one"]),
        "two": make_var(team, "host", "env-two", env=envs["two"]),
    }
    for scope, value in currents.items():
        current_value_set(variable=variables[scope], user=team.viewer, value=value)
    # Another member's current values never apply to this one.
    current_value_set(variable=variables["global"], user=team.editor, value="eve's")
    current_value_set(variable=variables["one"], user=team.editor, value="eve's")
    env_id = envs[env_name].pk if env_name else None

    values, secrets = variable_values_for(
        project=team.project, user=team.viewer, environment_id=env_id, overrides=overrides
    )
    assert values["host"] == expected and secrets == set()

    endpoint = make_endpoint(
        team,
        url="wss://{{host}}/x",
        headers=[{"name": "X-Host", "value": "{{host}}"}],
        cookies=[{"name": "h", "value": "{{host}}"}],
        params=[{"name": "h", "value": "{{host}}"}],
    )
    preview = client_for(team.viewer).post(
        f"{base(team)}/endpoints/{endpoint.pk}/preview/",
        {"environment": env_id, "values": overrides},
        format="json",
    )
    assert preview.status_code == 200, preview.json()
    handshake = preview.json()["handshake"]
    assert handshake["url"] == f"wss://{expected}/x?h={expected}"
    assert handshake["headers"] == [{"name": "X-Host", "value": expected}]
    assert handshake["cookies"] == [{"name": "h", "value": expected}]


def test_base_url_of_the_environment(team: Team, client_for: Callable) -> None:
    staging = make_env(team, "Staging", base_url="wss://stg.test")
    bare = make_env(team, "Bare")
    explicit = make_env(team, "Explicit", base_url="wss://ignored.test")
    make_var(team, "baseUrl", "wss://explicit.test", env=explicit)
    global_base = make_var(team, "baseUrl", "wss://global.test")

    def resolved(env: Any) -> str:
        values, _ = variable_values_for(
            project=team.project, user=team.editor, environment_id=env.pk if env else None
        )
        return values.get("baseUrl", "<none>")

    assert resolved(staging) == "wss://stg.test"
    assert resolved(explicit) == "wss://explicit.test"  # a variable named baseUrl wins
    assert resolved(bare) == "wss://global.test"
    assert resolved(None) == "wss://global.test"
    current_value_set(variable=global_base, user=team.editor, value="wss://mine.test")
    assert resolved(staging) == "wss://mine.test"  # a member's current value wins over both

    endpoint = make_endpoint(team, actor=team.admin, url="{{baseUrl}}/ticker")
    preview = client_for(team.viewer).post(
        f"{base(team)}/endpoints/{endpoint.pk}/preview/",
        {"environment": staging.pk},
        format="json",
    )
    assert preview.json()["handshake"]["url"] == "wss://stg.test/ticker"


def test_unknown_environment_is_a_field_error(team: Team, client_for: Callable) -> None:
    endpoint = make_endpoint(team, actor=team.admin)
    response = client_for(team.editor).post(
        f"{base(team)}/endpoints/{endpoint.pk}/preview/", {"environment": 999999}, format="json"
    )
    assert "environment" in assert_error(response, 400, "validation_error")["fields"]


# --- preview and usage ----------------------------------------------------------------------


def test_preview_names_every_unknown_variable_and_its_place(
    team: Team, client_for: Callable
) -> None:
    make_var(team, "host", "h.test")
    endpoint = make_endpoint(
        team,
        url="wss://{{host}}/{{path}}",
        headers=[
            {"name": "X-A", "value": "a"},
            {"name": "X-Off", "value": "{{disabled_only}}", "enabled": False},
            {"name": "Authorization", "value": "Bearer {{token}}"},
        ],
        cookies=[{"name": "{{cookie}}", "value": "v"}],
        subprotocols=["{{proto}}"],
        messages=[{"name": "m", "format": "json", "body": '{"a": "{{in_message}}"}'}],
    )
    response = client_for(team.viewer).post(
        f"{base(team)}/endpoints/{endpoint.pk}/preview/", {}, format="json"
    )
    body = assert_error(response, 400, "unresolved_variables")
    assert body["unresolved"] == [
        {"name": "path", "where": "url"},
        {"name": "token", "where": "headers[2].value"},
        {"name": "cookie", "where": "cookies[0].name"},
        {"name": "proto", "where": "subprotocols[0]"},
    ]
    assert body["fields"]["headers[2].value"] == ["Unknown variable 'token'."]
    assert "token (headers[2].value)" in body["detail"]


def test_endpoint_get_and_usage_listing(team: Team, client_for: Callable) -> None:
    env = make_env(team, "Staging", base_url="wss://stg.test")
    make_var(team, "token", SECRET, secret=True)
    make_var(team, "region", "eu", env=env)
    endpoint = make_endpoint(
        team,
        url="{{baseUrl}}/x",
        params=[{"name": "r", "value": "{{region}}"}],
        headers=[{"name": "Authorization", "value": "Bearer {{token}}"}],
        messages=[
            {"name": "m", "format": "json", "body": '{"t": "{{token}}", "at": {{$timestamp}}}'}
        ],
    )
    api = client_for(team.viewer)
    got = api.get(f"{base(team)}/endpoints/{endpoint.pk}/").json()
    assert got["variables"] == [
        {"name": "baseUrl", "dynamic": False, "where": ["url"]},
        {"name": "region", "dynamic": False, "where": ["params[0].value"]},
        {
            "name": "token",
            "dynamic": False,
            "where": ["headers[0].value", "messages[0].examples[0].body"],
        },
        {"name": "$timestamp", "dynamic": True, "where": ["messages[0].examples[0].body"]},
    ]
    url = f"{base(team)}/endpoints/{endpoint.pk}/variables/"
    without_env = api.get(url).json()
    assert {v["name"]: v["resolves"] for v in without_env["variables"]} == {
        "baseUrl": False,
        "region": False,
        "token": True,
        "$timestamp": True,
    }
    assert without_env["unresolved"] == [
        {"name": "baseUrl", "where": "url"},
        {"name": "region", "where": "params[0].value"},
    ]
    with_env = api.get(url, {"environment": env.pk}).json()
    assert with_env["unresolved"] == []
    sources = {v["name"]: (v["source"], v["secret"]) for v in with_env["variables"]}
    assert sources == {
        "baseUrl": ("base_url", False),
        "region": ("environment", False),
        "token": ("global", True),
        "$timestamp": ("dynamic", False),
    }
    assert_error(api.get(url, {"environment": "x"}), 400, "validation_error")


SAVED_BODY_CASES = [
    # (format, body, accepted)
    ("json", '{"token": "{{token}}"}', True),
    ("json", '{"n": {{count}}, "at": {{$timestamp}}}', True),  # checked after substitution
    ("json", '{"a": "\\{{literal}}"}', True),  # checked as sent: {"a": "{{literal}}"}
    ("json", '{"broken": ', False),
    ("hex", "01 {{byte}} ff", True),
    ("hex", "01 zz", False),
    ("base64", "{{payload}}", True),
    ("xml", "<a>{{x}}</a>", True),
    ("xml", "<a>", False),
]


@pytest.mark.parametrize(("fmt", "body", "accepted"), SAVED_BODY_CASES)
def test_saved_message_bodies_may_hold_references(
    team: Team, client_for: Callable, fmt: str, body: str, accepted: bool
) -> None:
    response = client_for(team.editor).post(
        f"{base(team)}/endpoints/",
        {
            "name": "E",
            "url": "wss://h.test",
            "messages": [{"name": "m", "format": fmt, "body": body}],
        },
        format="json",
    )
    if accepted:
        assert response.status_code == 201, response.json()
        assert response.json()["messages"][0]["body"] == body
    else:
        assert "messages[0].body" in assert_error(response, 400, "validation_error")["fields"]


URL_CASES = [
    ("{{baseUrl}}/ticker", True),
    ("wss://{{ host }}:{{port}}/x", True),
    ("http://{{host}}/x", False),
    ("{{baseUrl}} /x", False),
    ("wss://plain.test", True),
]


@pytest.mark.parametrize(("url", "accepted"), URL_CASES)
def test_endpoint_urls_may_hold_references(
    team: Team, client_for: Callable, url: str, accepted: bool
) -> None:
    response = client_for(team.editor).post(
        f"{base(team)}/endpoints/", {"name": "E", "url": url}, format="json"
    )
    if accepted:
        assert response.status_code == 201, response.json()
    else:
        assert "url" in assert_error(response, 400, "validation_error")["fields"]


# --- secrets never leave --------------------------------------------------------------------


def test_secrets_and_private_values_never_appear_in_any_response(
    team: Team, client_for: Callable, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env = make_env(team, "Staging", base_url="wss://stg.test")
    token = make_var(team, "token", SECRET, secret=True, description="the API token")
    env_token = make_var(team, "envtoken", SECRET_ENV, env=env, secret=True)
    user_var = make_var(team, "user", "shared-user")
    current_value_set(variable=token, user=team.admin, value=ADA_SECRET_CURRENT)
    current_value_set(variable=user_var, user=team.editor, value=EVE_PRIVATE)
    current_value_set(variable=user_var, user=team.viewer, value=VIC_PRIVATE)
    endpoint = make_endpoint(
        team,
        url="{{baseUrl}}/x/{{token}}",
        params=[{"name": "key", "value": "{{token}}"}, {"name": "u", "value": "{{user}}"}],
        headers=[
            {"name": "Authorization", "value": "Bearer {{token}}"},
            {"name": "X-Env", "value": "{{envtoken}}"},
        ],
        cookies=[{"name": "sid", "value": "{{token}}"}],
        messages=[{"name": "auth", "format": "json", "body": '{"token": "{{token}}"}'}],
    )
    broken = make_endpoint(
        team, name="Broken", headers=[{"name": "X", "value": "{{token}}{{unknown}}"}]
    )
    newline_secret = make_var(team, "nl", "a\nb-" + SECRET, secret=True)
    bad_header = make_endpoint(
        team, actor=team.admin, name="Bad", headers=[{"name": "X", "value": "{{nl}}"}]
    )
    root = base(team)

    def responses(user: Any, own_private: str | None) -> list[Any]:
        api = client_for(user)
        seen = [
            api.get(f"{root}/environments/"),
            api.get(f"{root}/environments/{env.pk}/"),
            api.get(f"{root}/variables/"),
            api.get(f"{root}/variables/", {"environment": "global"}),
            api.get(f"{root}/variables/", {"environment": env.pk}),
            api.get(f"{root}/variables/{token.pk}/"),
            api.get(f"{root}/variables/{env_token.pk}/"),
            api.get(f"{root}/variables/{user_var.pk}/"),
            api.get(f"{root}/endpoints/"),
            api.get(f"{root}/endpoints/{endpoint.pk}/"),
            api.get(f"{root}/tree/"),
            api.get(f"{root}/endpoints/{endpoint.pk}/variables/"),
            api.get(f"{root}/endpoints/{endpoint.pk}/variables/", {"environment": env.pk}),
            api.post(
                f"{root}/endpoints/{endpoint.pk}/preview/", {"environment": env.pk}, format="json"
            ),
            api.post(f"{root}/endpoints/{broken.pk}/preview/", {}, format="json"),
            api.post(f"{root}/endpoints/{bad_header.pk}/preview/", {}, format="json"),
            # Setting one's own current value of a secret does not echo it either.
            api.put(
                f"{root}/variables/{env_token.pk}/current/", {"value": SECRET_ENV}, format="json"
            ),
            api.post(
                f"{root}/endpoints/{endpoint.pk}/preview/",
                {"environment": env.pk, "values": {"user": "x"}},
                format="json",
            ),
        ]
        if user.pk != team.viewer.pk:
            seen += [
                api.patch(f"{root}/variables/{token.pk}/", {"description": "d"}, format="json"),
                api.post(
                    f"{root}/variables/",
                    {"name": f"s{user.pk}", "initial_value": SECRET, "secret": True},
                    format="json",
                ),
                api.patch(
                    f"{root}/variables/{newline_secret.pk}/",
                    {"initial_value": "c\nd-" + SECRET},
                    format="json",
                ),
            ]
        for response in seen:
            text = response.content.decode()
            for hidden in ALL_HIDDEN:
                if hidden == own_private:
                    continue
                assert hidden not in text, (response.request["PATH_INFO"], hidden, text[:400])
        return seen

    for user, own in ((team.admin, None), (team.editor, EVE_PRIVATE), (team.viewer, VIC_PRIVATE)):
        seen = responses(user, own)
        preview = seen[13]
        assert preview.status_code == 200, preview.json()
        masked = preview.json()["handshake"]
        assert masked["url"].startswith("wss://stg.test/x/••••?key=••••&u=")
        assert masked["headers"][0]["value"] == "Bearer ••••"
        assert masked["headers"][1]["value"] == "••••"
        assert masked["cookies"][0]["value"] == "••••"
        assert assert_error(seen[14], 400, "unresolved_variables")["unresolved"] == [
            {"name": "unknown", "where": "headers[0].value"}
        ]
        assert "headers[0].value" in assert_error(seen[15], 400, "validation_error")["fields"]
        secret_rows = [v for v in seen[2].json() if v["secret"]]
        assert secret_rows and all(
            v["initial_value"] is None and v["value_set"] and v["current_value"] is None
            for v in secret_rows
        )
        if own is not None:
            assert any(own in r.content.decode() for r in seen)  # the owner does see theirs

    for record in caplog.records:
        message = record.getMessage()
        for hidden in ALL_HIDDEN:
            assert hidden not in message


# --- fixed number of queries ----------------------------------------------------------------


def _populate(team: Team, count: int) -> Any:
    env = make_env(team, f"Env{count}", base_url="wss://b.test")
    for index in range(count):
        variable = make_var(team, f"g{index}", "v", secret=index % 3 == 0)
        scoped = make_var(team, f"e{index}", "v", env=env)
        current_value_set(variable=variable, user=team.editor, value="mine")
        current_value_set(variable=scoped, user=team.viewer, value="theirs")
    return env


@pytest.mark.parametrize("count", [3, 30])
def test_query_counts_do_not_grow(
    team: Team,
    client_for: Callable,
    django_assert_max_num_queries: Callable,
    count: int,
) -> None:
    env = _populate(team, count)
    endpoint = make_endpoint(
        team,
        url="{{baseUrl}}/x",
        headers=[{"name": f"X-{i}", "value": f"{{{{g{i}}}}}"} for i in range(count)],
        messages=[{"name": f"m{i}", "body": f"{{{{e{i}}}}}"} for i in range(count)],
    )
    api = client_for(team.editor)
    root = base(team)
    with django_assert_max_num_queries(2):
        listing = api.get(f"{root}/variables/")
    assert len(listing.json()) == 2 * count
    with django_assert_max_num_queries(2):
        assert len(api.get(f"{root}/environments/").json()) == 1
    with django_assert_max_num_queries(6):
        usage = api.get(f"{root}/endpoints/{endpoint.pk}/variables/", {"environment": env.pk})
    assert usage.json()["unresolved"] == []
    with django_assert_max_num_queries(6):
        preview = api.post(
            f"{root}/endpoints/{endpoint.pk}/preview/", {"environment": env.pk}, format="json"
        )
    assert preview.status_code == 200
    with django_assert_max_num_queries(2):
        values, secrets = variable_values_for(
            project=team.project, user=team.editor, environment_id=env.pk
        )
    assert len(values) == 2 * count + 1 and len(secrets) == (count + 2) // 3


def test_roles_fixture_sanity(team: Team) -> None:
    assert {m.role for m in team.project.memberships.all()} == {
        Role.ADMIN,
        Role.EDITOR,
        Role.VIEWER,
    }


def test_shared_values_only_without_a_member(team: Team) -> None:
    env = make_env(team, "Staging", base_url="wss://stg.test")
    host = make_var(team, "host", "shared")
    make_var(team, "token", SECRET, secret=True)
    current_value_set(variable=host, user=team.editor, value=EVE_PRIVATE)
    sources = variable_sources_for(project=team.project, user=None, environment_id=env.pk)
    assert sources["host"].value == "shared" and sources["host"].source == "global"
    assert sources["token"].secret and not sources["host"].secret
    assert sources["baseUrl"].source == "base_url"
