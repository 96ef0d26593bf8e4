"""Pure helpers of the change history: snapshots, field-level diffs, and what a revert writes back.

A snapshot is a plain JSON dict of everything a user can change on an endpoint or a folder, in
the same shapes as the REST API. A revision stores the snapshot after its change and the diff
against the one before, so history can show both "what changed" and "how it was".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from core.people import user_brief
from endpoints.auth import auth_public
from endpoints.contracts.examples import with_examples
from endpoints.handshake import API_FIELDS, handshake_data
from endpoints.models import MESSAGE_FIELDS, Endpoint, Folder, RevisionAction
from endpoints.tree.message_serializers import message_data

# Every field a user can change, in the order a diff lists them.
ENDPOINT_FIELDS = (
    "name",
    "protocol",
    "url",
    "folder",
    "position",
    "params",
    "headers",
    "cookies",
    "subprotocols",
    "settings",
    "socketio",
    "auth",
    "messages",
    "strict",
    "status",
    "assignee",
    "tags",
    "description",
)
FOLDER_FIELDS = ("name", "parent", "position", "auth")
RESTORED_MESSAGE_FIELDS = tuple(f for f in MESSAGE_FIELDS if f != "id")
# A change of only these fields is a move (or reorder), not an edit.
ENDPOINT_PLACEMENT = frozenset({"folder", "position"})
FOLDER_PLACEMENT = frozenset({"parent", "position"})


def endpoint_snapshot(endpoint: Endpoint) -> dict[str, Any]:
    """The endpoint's user-editable state; expects ``selectors.endpoints_with_relations``."""
    return {
        "name": endpoint.name,
        "folder": endpoint.folder_id,
        "position": endpoint.position,
        **handshake_data(endpoint),
        # Credentials as the API shows them (null): history never holds one.
        "auth": auth_public(endpoint.auth),
        "messages": [message_data(m) for m in endpoint.messages.all()],
        "strict": endpoint.strict,
        "status": endpoint.status,
        "assignee": user_brief(endpoint.assignee),
        "tags": endpoint.tag_names,
        "description": endpoint.description,
    }


def folder_snapshot(folder: Folder) -> dict[str, Any]:
    return {
        "name": folder.name,
        "parent": folder.parent_id,
        "position": folder.position,
        "auth": auth_public(folder.auth),
    }


def diff(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``[{"field", "old", "new"}]`` for each field that differs; ``old`` None means created."""
    old = old or {}
    return [
        {"field": field, "old": old.get(field), "new": new.get(field)}
        for field in fields
        if old.get(field) != new.get(field)
    ]


def revision_action(
    changes: list[dict[str, Any]],
    *,
    created: bool,
    reverted: bool = False,
    placement: frozenset[str] = ENDPOINT_PLACEMENT,
) -> str:
    if created:
        return RevisionAction.CREATED
    if reverted:
        return RevisionAction.REVERTED
    changed = {change["field"] for change in changes}
    if changed and changed <= placement:
        return RevisionAction.MOVED
    return RevisionAction.UPDATED


def changed_fields(changes: list[dict[str, Any]]) -> list[str]:
    return [change["field"] for change in changes]


def revert_data(
    snapshot: Mapping[str, Any],
    *,
    message_ids: Collection[int],
    folder_ids: Collection[int],
    member_ids: Collection[int],
) -> dict[str, Any]:
    """The ``endpoint_update`` data that makes an endpoint look like ``snapshot`` again.

    What no longer exists is not resurrected by id: saved messages deleted since come back as
    new messages, a folder deleted since leaves the endpoint where it is, and a responsible
    person who left the project is cleared (the assignee must be a member).
    """
    data: dict[str, Any] = {
        key: snapshot[key]
        for key in (
            "name",
            *API_FIELDS,
            # Its credentials are null: a revert keeps the stored ones (endpoints.auth.clean_auth).
            "auth",
            "status",
            "strict",
            "description",
            "tags",
        )
        if key in snapshot
    }
    messages = []
    for message in snapshot.get("messages", []):
        # Snapshots from before documented messages hold a body and no examples: it comes
        # back as the one example.
        fields = with_examples(
            {key: message[key] for key in (*RESTORED_MESSAGE_FIELDS, "body") if key in message}
        )
        if message.get("id") in message_ids:
            fields["id"] = message["id"]
        messages.append(fields)
    data["messages"] = messages
    folder = snapshot.get("folder")
    if folder is None or folder in folder_ids:
        data["folder"] = folder
        data["position"] = snapshot.get("position")
    assignee = (snapshot.get("assignee") or {}).get("id")
    data["assignee"] = assignee if assignee in member_ids else None
    return data
