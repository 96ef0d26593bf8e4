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
    "sessions": "Debug sessions: connect, send, read the message log, save.",
    "share-links": "Read-only links to a project's docs pages.",
    "workspace": "Helpers of the web workspace.",
}

# URL (as in the schema) -> (tag, {HTTP method: operationId}). An operationId reads
# ``<resource>_<verb>``: list, create, retrieve, update (PATCH/PUT), delete, or the action.
OPERATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "/api/v1/auth/me/": ("auth", {"GET": "me_retrieve"}),
    "/api/v1/auth/signup/": ("auth", {"POST": "account_signup"}),
    "/api/v1/auth/tokens/": ("auth", {"GET": "token_list", "POST": "token_create"}),
    "/api/v1/auth/tokens/{token_id}/": ("auth", {"DELETE": "token_delete"}),
    "/api/v1/projects/": ("projects", {"GET": "project_list", "POST": "project_create"}),
    "/api/v1/projects/{project_id}/": (
        "projects",
        {"GET": "project_retrieve", "PATCH": "project_update", "DELETE": "project_delete"},
    ),
    "/api/v1/projects/{project_id}/ca-bundle/": (
        "projects",
        {
            "GET": "project_ca_bundle_retrieve",
            "PUT": "project_ca_bundle_update",
            "DELETE": "project_ca_bundle_delete",
        },
    ),
    "/api/v1/projects/{project_id}/members/": (
        "members",
        {"GET": "member_list", "POST": "member_create"},
    ),
    "/api/v1/projects/{project_id}/members/{user_id}/": (
        "members",
        {"PATCH": "member_update", "DELETE": "member_delete"},
    ),
    "/api/v1/projects/{project_id}/folders/": (
        "folders",
        {"GET": "folder_list", "POST": "folder_create"},
    ),
    "/api/v1/projects/{project_id}/folders/{folder_id}/": (
        "folders",
        {"GET": "folder_retrieve", "PATCH": "folder_update", "DELETE": "folder_delete"},
    ),
    "/api/v1/projects/{project_id}/endpoints/": (
        "endpoints",
        {"GET": "endpoint_list", "POST": "endpoint_create"},
    ),
    "/api/v1/projects/{project_id}/endpoints/batch/": ("endpoints", {"POST": "endpoint_batch"}),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/": (
        "endpoints",
        {"GET": "endpoint_retrieve", "PATCH": "endpoint_update", "DELETE": "endpoint_delete"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/preview/": (
        "endpoints",
        {"POST": "endpoint_preview"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/variables/": (
        "endpoints",
        {"GET": "endpoint_variables_retrieve"},
    ),
    "/api/v1/projects/{project_id}/tree/": ("tree", {"GET": "tree_retrieve"}),
    "/api/v1/projects/{project_id}/tags/": ("tags", {"GET": "tag_list", "POST": "tag_create"}),
    "/api/v1/projects/{project_id}/tags/{tag_id}/": (
        "tags",
        {"PATCH": "tag_update", "DELETE": "tag_delete"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/comments/": (
        "comments",
        {"GET": "comment_list", "POST": "comment_create"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/comments/{comment_id}/": (
        "comments",
        {"GET": "comment_retrieve", "PATCH": "comment_update", "DELETE": "comment_delete"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/comments/{comment_id}/resolve/": (
        "comments",
        {"POST": "comment_resolve"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/comments/{comment_id}/reopen/": (
        "comments",
        {"POST": "comment_reopen"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/history/": (
        "history",
        {"GET": "endpoint_history_list"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/history/{revision_id}/": (
        "history",
        {"GET": "endpoint_revision_retrieve"},
    ),
    "/api/v1/projects/{project_id}/endpoints/{endpoint_id}/history/{revision_id}/revert/": (
        "history",
        {"POST": "endpoint_revert"},
    ),
    "/api/v1/projects/{project_id}/folders/{folder_id}/history/": (
        "history",
        {"GET": "folder_history_list"},
    ),
    "/api/v1/projects/{project_id}/environments/": (
        "environments",
        {"GET": "environment_list", "POST": "environment_create"},
    ),
    "/api/v1/projects/{project_id}/environments/{environment_id}/": (
        "environments",
        {
            "GET": "environment_retrieve",
            "PATCH": "environment_update",
            "DELETE": "environment_delete",
        },
    ),
    "/api/v1/projects/{project_id}/variables/": (
        "variables",
        {"GET": "variable_list", "POST": "variable_create"},
    ),
    "/api/v1/projects/{project_id}/variables/{variable_id}/": (
        "variables",
        {"GET": "variable_retrieve", "PATCH": "variable_update", "DELETE": "variable_delete"},
    ),
    "/api/v1/projects/{project_id}/variables/{variable_id}/current/": (
        "variables",
        {"PUT": "variable_current_value_update", "DELETE": "variable_current_value_delete"},
    ),
    "/api/v1/projects/{project_id}/events/": ("events", {"GET": "project_event_list"}),
    "/api/v1/sessions/": ("sessions", {"GET": "session_list", "POST": "session_create"}),
    "/api/v1/sessions/format/": ("sessions", {"POST": "message_body_format"}),
    "/api/v1/sessions/{session_id}/": (
        "sessions",
        {"GET": "session_retrieve", "PATCH": "session_update", "DELETE": "session_delete"},
    ),
    "/api/v1/sessions/{session_id}/connect/": ("sessions", {"POST": "session_connect"}),
    "/api/v1/sessions/{session_id}/disconnect/": ("sessions", {"POST": "session_disconnect"}),
    "/api/v1/sessions/{session_id}/messages/": ("sessions", {"POST": "session_message_send"}),
    "/api/v1/sessions/{session_id}/events/": ("sessions", {"GET": "session_event_list"}),
    "/api/v1/sessions/{session_id}/events/{seq}/": (
        "sessions",
        {"GET": "session_event_retrieve"},
    ),
    "/api/v1/sessions/{session_id}/connections/": (
        "sessions",
        {"GET": "session_connection_list"},
    ),
    "/api/v1/sessions/{session_id}/save/": ("sessions", {"POST": "session_save"}),
    "/api/v1/projects/{project_id}/share-links/": (
        "share-links",
        {"GET": "share_link_list", "POST": "share_link_create"},
    ),
    "/api/v1/projects/{project_id}/share-links/{link_id}/": (
        "share-links",
        {"GET": "share_link_retrieve", "PATCH": "share_link_update", "DELETE": "share_link_delete"},
    ),
    "/api/v1/projects/{project_id}/share-links/{link_id}/revoke/": (
        "share-links",
        {"POST": "share_link_revoke"},
    ),
    "/api/v1/projects/{project_id}/share-links/{link_id}/rotate/": (
        "share-links",
        {"POST": "share_link_rotate"},
    ),
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
