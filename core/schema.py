"""Names in the OpenAPI schema: each operation's ``operationId`` and its one tag, from one table
keyed by URL and method, so a generated client calls ``endpoint_create`` (not
``api_v1_projects_endpoints_create``) and the browsable page groups operations by resource.

The table, not the views, names operations: views move between modules, URLs do not. No view
passes ``operation_id`` to ``extend_schema`` (tests/test_schema.py checks). An operation missing from it keeps
drf-spectacular's path-derived name and is reported as a schema warning, which fails
``tests/test_schema.py`` (and ``manage.py spectacular --fail-on-warn``). Wired in
``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.drainage import warn

# Tag -> what its operations are about; also the order of the groups on /api/docs/.
TAGS: dict[str, str] = {
    "auth": "Your account, sign-up and personal access tokens.",
    "projects": "Projects and their settings.",
    "members": "Who belongs to a project, with which role.",
    "folders": "Folders of a project's endpoint tree.",
    "endpoints": "WebSocket endpoints: handshake, saved messages, documentation fields.",
    "tree": "A project's folders and endpoints in one nested read.",
    "tags": "A project's endpoint tags.",
    "comments": "Comments on an endpoint.",
    "history": "Revisions of endpoints and folders.",
    "environments": "Environments that variables take their values from.",
    "variables": "Project globals and environment variables, and your private current values.",
    "events": "A project's stored live events.",
    "schemas": "A project's reusable JSON Schemas, and schemas generated from examples.",
    "asyncapi": "AsyncAPI 3.0 documents of a project: export, and import of 3.0 and 2.6.",
    "scenarios": "Test scenarios: steps that connect, send and assert on WebSocket messages.",
    "mocks": "Mock servers: endpoints served from their documented messages.",
    "sessions": "Debug sessions: connect, send, read the message log, save.",
    "share-links": "Read-only links to a project's docs pages.",
    "workspace": "Helpers of the web workspace.",
}

# URL (as in the schema) -> (tag, {HTTP method: operationId}). An operationId reads
# ``<resource>_<verb>``: list, create, retrieve, update (PATCH/PUT), delete, or the action.
Operations = dict[str, tuple[str, dict[str, str]]]

_ITEM_VERBS = {"GET": "retrieve", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def _crud(
    tag: str, resource: str, collection: str, item: str, item_methods: str = "GET PATCH DELETE"
) -> Operations:
    """A resource's usual pair of URLs: the collection (list, create) and one item."""
    return {
        collection: (tag, {"GET": f"{resource}_list", "POST": f"{resource}_create"}),
        item: (
            tag,
            {method: f"{resource}_{_ITEM_VERBS[method]}" for method in item_methods.split()},
        ),
    }


_PROJECT = "/api/v1/projects/{project_id}/"
_ENDPOINT = _PROJECT + "endpoints/{endpoint_id}/"
_COMMENT = _ENDPOINT + "comments/{comment_id}/"
_SESSION = "/api/v1/sessions/{session_id}/"
_LINK = _PROJECT + "share-links/{link_id}/"

OPERATIONS: Operations = {
    "/api/v1/auth/me/": ("auth", {"GET": "me_retrieve"}),
    "/api/v1/auth/signup/": ("auth", {"POST": "account_signup"}),
    **_crud("auth", "token", "/api/v1/auth/tokens/", "/api/v1/auth/tokens/{token_id}/", "DELETE"),
    **_crud("projects", "project", "/api/v1/projects/", _PROJECT),
    _PROJECT + "ca-bundle/": (
        "projects",
        {
            "GET": "project_ca_bundle_retrieve",
            "PUT": "project_ca_bundle_update",
            "DELETE": "project_ca_bundle_delete",
        },
    ),
    **_crud(
        "projects",
        "client_certificate",
        _PROJECT + "client-certificates/",
        _PROJECT + "client-certificates/{certificate_id}/",
        "GET DELETE",
    ),
    **_crud(
        "members", "member", _PROJECT + "members/", _PROJECT + "members/{user_id}/", "PATCH DELETE"
    ),
    **_crud("folders", "folder", _PROJECT + "folders/", _PROJECT + "folders/{folder_id}/"),
    **_crud("endpoints", "endpoint", _PROJECT + "endpoints/", _ENDPOINT),
    _PROJECT + "endpoints/batch/": ("endpoints", {"POST": "endpoint_batch"}),
    _ENDPOINT + "preview/": ("endpoints", {"POST": "endpoint_preview"}),
    _ENDPOINT + "variables/": ("endpoints", {"GET": "endpoint_variables_retrieve"}),
    _PROJECT + "tree/": ("tree", {"GET": "tree_retrieve"}),
    **_crud("tags", "tag", _PROJECT + "tags/", _PROJECT + "tags/{tag_id}/", "PATCH DELETE"),
    **_crud("comments", "comment", _ENDPOINT + "comments/", _COMMENT),
    _COMMENT + "resolve/": ("comments", {"POST": "comment_resolve"}),
    _COMMENT + "reopen/": ("comments", {"POST": "comment_reopen"}),
    _ENDPOINT + "history/": ("history", {"GET": "endpoint_history_list"}),
    _ENDPOINT + "history/{revision_id}/": ("history", {"GET": "endpoint_revision_retrieve"}),
    _ENDPOINT + "history/{revision_id}/revert/": ("history", {"POST": "endpoint_revert"}),
    _PROJECT + "folders/{folder_id}/history/": ("history", {"GET": "folder_history_list"}),
    **_crud(
        "environments",
        "environment",
        _PROJECT + "environments/",
        _PROJECT + "environments/{environment_id}/",
    ),
    **_crud(
        "variables", "variable", _PROJECT + "variables/", _PROJECT + "variables/{variable_id}/"
    ),
    _PROJECT + "variables/{variable_id}/current/": (
        "variables",
        {"PUT": "variable_current_value_update", "DELETE": "variable_current_value_delete"},
    ),
    _PROJECT + "events/": ("events", {"GET": "project_event_list"}),
    **_crud("schemas", "project_schema", _PROJECT + "schemas/", _PROJECT + "schemas/{schema_id}/"),
    _PROJECT + "schemas/generate/": ("schemas", {"POST": "project_schema_generate"}),
    _PROJECT + "asyncapi.yaml": ("asyncapi", {"GET": "asyncapi_export_yaml"}),
    _PROJECT + "asyncapi.json": ("asyncapi", {"GET": "asyncapi_export_json"}),
    _PROJECT + "asyncapi/import/": ("asyncapi", {"POST": "asyncapi_import"}),
    **_crud(
        "scenarios", "scenario", _PROJECT + "scenarios/", _PROJECT + "scenarios/{scenario_id}/"
    ),
    _PROJECT + "scenarios/{scenario_id}/history/": ("scenarios", {"GET": "scenario_history"}),
    _PROJECT + "scenario-folders/": (
        "scenarios",
        {"GET": "scenario_folder_list", "POST": "scenario_folder_create"},
    ),
    _PROJECT + "scenario-folders/{folder_id}/": (
        "scenarios",
        {"PATCH": "scenario_folder_update", "DELETE": "scenario_folder_delete"},
    ),
    _PROJECT + "scenarios/{scenario_id}/runs/": (
        "scenarios",
        {"GET": "scenario_run_list", "POST": "scenario_run_create"},
    ),
    _PROJECT + "runs/{run_id}/": ("scenarios", {"GET": "run_retrieve"}),
    _PROJECT + "suite-runs/": ("scenarios", {"POST": "suite_run_create"}),
    _PROJECT + "suite-runs/{suite_id}/": ("scenarios", {"GET": "suite_run_retrieve"}),
    _PROJECT + "runs/{run_id}/junit.xml": ("scenarios", {"GET": "run_junit"}),
    _PROJECT + "runs/{run_id}/sessions/{session_id}/events/": (
        "scenarios",
        {"GET": "run_session_event_list"},
    ),
    _PROJECT + "suite-runs/{suite_id}/junit.xml": ("scenarios", {"GET": "suite_run_junit"}),
    _PROJECT + "mock/": (
        "mocks",
        {"GET": "mock_settings_retrieve", "PATCH": "mock_settings_update"},
    ),
    _PROJECT + "mock/rotate-key/": ("mocks", {"POST": "mock_key_rotate"}),
    _ENDPOINT + "mock/": (
        "mocks",
        {"GET": "mock_behaviour_retrieve", "PUT": "mock_behaviour_update"},
    ),
    _ENDPOINT + "mock/connections/": ("mocks", {"GET": "mock_connection_list"}),
    _ENDPOINT + "mock/connections/{connection_id}/frames/": ("mocks", {"GET": "mock_frame_list"}),
    **_crud("sessions", "session", "/api/v1/sessions/", _SESSION),
    "/api/v1/sessions/format/": ("sessions", {"POST": "message_body_format"}),
    _SESSION + "connect/": ("sessions", {"POST": "session_connect"}),
    _SESSION + "disconnect/": ("sessions", {"POST": "session_disconnect"}),
    _SESSION + "messages/": ("sessions", {"POST": "session_message_send"}),
    _SESSION + "events/": ("sessions", {"GET": "session_event_list"}),
    _SESSION + "events/{seq}/": ("sessions", {"GET": "session_event_retrieve"}),
    _SESSION + "connections/": ("sessions", {"GET": "session_connection_list"}),
    _SESSION + "save/": ("sessions", {"POST": "session_save"}),
    _SESSION + "ping/": ("sessions", {"POST": "session_ping"}),
    _SESSION + "emit/": ("sessions", {"POST": "session_emit"}),
    _SESSION + "timers/": (
        "sessions",
        {"GET": "session_timer_list", "POST": "session_timer_start"},
    ),
    _SESSION + "timers/{timer_id}/": ("sessions", {"DELETE": "session_timer_stop"}),
    **_crud("share-links", "share_link", _PROJECT + "share-links/", _LINK),
    _LINK + "revoke/": ("share-links", {"POST": "share_link_revoke"}),
    _LINK + "rotate/": ("share-links", {"POST": "share_link_rotate"}),
    "/workspace/markdown/": ("workspace", {"POST": "markdown_render"}),
}

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def name_operations(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: operationIds and tags from ``OPERATIONS``, and
    the top-level tag list (with descriptions, in ``TAGS`` order) of the tags in use."""
    used: set[str] = set()
    for path, item in result["paths"].items():
        tag, ids = OPERATIONS.get(path, ("", {}))
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            operation_id = ids.get(method.upper())
            if operation_id is None:
                warn(
                    f"{method.upper()} {path} has no operationId and tag in core/schema.py "
                    f"OPERATIONS; it keeps {operation['operationId']!r}"
                )
                used.update(operation.get("tags", ()))
                continue
            operation["operationId"] = operation_id
            operation["tags"] = [tag]
            used.add(tag)
    result["tags"] = [
        {"name": name, "description": description}
        for name, description in TAGS.items()
        if name in used
    ]
    return result
