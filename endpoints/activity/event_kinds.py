"""Every kind of live project event and the payload it carries: the one list of them.

``publish`` checks each event against its shape before anything is stored or sent, always (a
few microseconds an event): an undeclared key fails the write rather than reach members, so a
payload cannot quietly grow a value some member may not see (a secret, a share link's token).
The shapes follow Zulip's ``event_schema``: required keys, optional keys, their types, and
nothing else. docs/collaboration.md lists the same kinds for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    ENDPOINT_CREATED = "endpoint.created"
    ENDPOINT_UPDATED = "endpoint.updated"
    ENDPOINT_MOVED = "endpoint.moved"
    ENDPOINT_DELETED = "endpoint.deleted"
    FOLDER_CREATED = "folder.created"
    FOLDER_UPDATED = "folder.updated"
    FOLDER_MOVED = "folder.moved"
    FOLDER_DELETED = "folder.deleted"
    TAG_CREATED = "tag.created"
    TAG_UPDATED = "tag.updated"
    TAG_DELETED = "tag.deleted"
    COMMENT_ADDED = "comment.added"
    COMMENT_EDITED = "comment.edited"
    COMMENT_RESOLVED = "comment.resolved"
    COMMENT_REOPENED = "comment.reopened"
    COMMENT_DELETED = "comment.deleted"
    MEMBER_JOINED = "member.joined"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_LEFT = "member.left"
    PROJECT_UPDATED = "project.updated"
    ENVIRONMENT_CREATED = "environment.created"
    ENVIRONMENT_UPDATED = "environment.updated"
    ENVIRONMENT_DELETED = "environment.deleted"
    VARIABLE_CREATED = "variable.created"
    VARIABLE_UPDATED = "variable.updated"
    VARIABLE_DELETED = "variable.deleted"
    CURRENT_VALUE_CHANGED = "current_value.changed"
    SHARE_LINK_CREATED = "share_link.created"
    SHARE_LINK_UPDATED = "share_link.updated"
    SHARE_LINK_REVOKED = "share_link.revoked"
    SHARE_LINK_ROTATED = "share_link.rotated"
    SHARE_LINK_DELETED = "share_link.deleted"
    CA_BUNDLE_UPDATED = "ca_bundle.updated"
    CA_BUNDLE_DELETED = "ca_bundle.deleted"
    CLIENT_CERTIFICATE_CREATED = "client_certificate.created"
    CLIENT_CERTIFICATE_DELETED = "client_certificate.deleted"
    SCHEMA_CREATED = "schema.created"
    SCHEMA_UPDATED = "schema.updated"
    SCHEMA_DELETED = "schema.deleted"
    SCENARIO_CREATED = "scenario.created"
    SCENARIO_UPDATED = "scenario.updated"
    SCENARIO_DELETED = "scenario.deleted"
    SCENARIO_FOLDER_CREATED = "scenario_folder.created"
    SCENARIO_FOLDER_UPDATED = "scenario_folder.updated"
    SCENARIO_FOLDER_DELETED = "scenario_folder.deleted"
    MOCK_UPDATED = "mock.updated"
    MOCK_BEHAVIOUR_UPDATED = "mock_behaviour.updated"


# --- the small schema language --------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """A JSON object with exactly these keys (``optional`` ones may be missing)."""

    required: Mapping[str, Any]
    optional: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class Nullable:
    inner: Any


def shape_errors(value: Any, spec: Any, path: str = "") -> list[str]:
    """What is wrong with ``value`` as ``spec`` (a type, ``Obj``, ``ListOf`` or ``Nullable``)."""
    where = path or "event"
    if isinstance(spec, Nullable):
        return [] if value is None else shape_errors(value, spec.inner, path)
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [
            e
            for i, item in enumerate(value)
            for e in shape_errors(item, spec.item, f"{where}[{i}]")
        ]
    if isinstance(spec, Obj):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        prefix = f"{path}." if path else ""
        errors = [f"{prefix}{key}: missing" for key in spec.required if key not in value]
        errors += [
            f"{prefix}{key}: not declared"
            for key in value
            if key not in spec.required and key not in spec.optional
        ]
        for key, item in value.items():
            inner = spec.required.get(key, spec.optional.get(key))
            if inner is not None:
                errors += shape_errors(item, inner, f"{prefix}{key}")
        return errors
    # bool is an int in Python, never in the JSON a client reads.
    if not isinstance(value, spec) or (spec is int and isinstance(value, bool)):
        return [f"{where}: expected {spec.__name__}, got {type(value).__name__}"]
    return []


# --- the shapes -----------------------------------------------------------------------------

USER = Obj({"id": int, "username": str, "display_name": str})
ENDPOINT = Obj(
    {
        "id": int,
        "name": str,
        "folder": Nullable(int),
        "position": int,
        "protocol": str,
        "status": str,
        "version": int,
    }
)
ENDPOINT_CHANGED = Obj(
    {"endpoint": ENDPOINT, "changed": ListOf(str), "revision": int},
    {"previous_folder": Nullable(int), "reverted_to": int},
)
CLIENT_CERTIFICATE = Obj({"id": int, "host_pattern": str, "fingerprint": str})
FOLDER = Obj({"id": int, "name": str, "parent": Nullable(int), "position": int, "version": int})
FOLDER_CHANGED = Obj(
    {"folder": FOLDER, "changed": ListOf(str), "revision": int},
    {"previous_parent": Nullable(int)},
)
TAG = Obj({"tag": Obj({"id": int, "name": str})})
# A comment as the REST API shows it (endpoints.activity.serializers.comment_data).
COMMENT = Obj(
    {
        "comment": Obj(
            {
                "id": int,
                "endpoint": int,
                "author": Nullable(USER),
                "body": str,
                "body_html": str,
                "mentions": ListOf(USER),
                "resolved": bool,
                "resolved_at": Nullable(str),
                "resolved_by": Nullable(USER),
                "created_at": str,
                "updated_at": str,
                "edited_at": Nullable(str),
            }
        )
    }
)
MEMBER = Obj({"member": Obj({"user": USER, "role": str})}, {"previous_role": str})
ENVIRONMENT = Obj({"environment": Obj({"id": int, "name": str, "version": int})})
# No values: a secret's shared value is for nobody's eyes, a current value for its owner's
# only. Clients read the variable again over REST, which applies those rules for the reader.
VARIABLE = Obj(
    {
        "variable": Obj(
            {"id": int, "environment": Nullable(int), "name": str, "secret": bool, "version": int}
        )
    }
)
# A project schema: which one, never its content (clients read it again over REST).
PROJECT_SCHEMA = Obj({"schema": Obj({"id": int, "name": str, "version": int})})
SCENARIO_REF = Obj({"id": int, "name": str, "folder": Nullable(int), "version": int})
SCENARIO_FOLDER = Obj(
    {
        "scenario_folder": Obj(
            {"id": int, "name": str, "parent": Nullable(int), "position": int, "version": int}
        )
    }
)
SHARE_LINK = Obj({"share_link": Obj({"id": int, "name": str, "version": int})})


@dataclass(frozen=True)
class Shape:
    payload: Obj
    # Sent only to the member it belongs to (``events.publish_to_member``): never stored, so
    # no other member can replay it.
    owner_only: bool = False


SHAPES: dict[EventKind, Shape] = {
    EventKind.ENDPOINT_CREATED: Shape(ENDPOINT_CHANGED),
    EventKind.ENDPOINT_UPDATED: Shape(ENDPOINT_CHANGED),
    EventKind.ENDPOINT_MOVED: Shape(ENDPOINT_CHANGED),
    EventKind.ENDPOINT_DELETED: Shape(
        Obj({"endpoint": Obj({"id": int, "name": str, "folder": Nullable(int), "version": int})})
    ),
    EventKind.FOLDER_CREATED: Shape(FOLDER_CHANGED),
    EventKind.FOLDER_UPDATED: Shape(FOLDER_CHANGED),
    EventKind.FOLDER_MOVED: Shape(FOLDER_CHANGED),
    EventKind.FOLDER_DELETED: Shape(
        Obj(
            {
                "folder": Obj({"id": int, "name": str, "parent": Nullable(int)}),
                "deleted_folders": ListOf(int),
                "deleted_endpoints": ListOf(int),
            }
        )
    ),
    EventKind.TAG_CREATED: Shape(TAG),
    EventKind.TAG_UPDATED: Shape(TAG),
    EventKind.TAG_DELETED: Shape(TAG),
    EventKind.COMMENT_ADDED: Shape(COMMENT),
    EventKind.COMMENT_EDITED: Shape(COMMENT),
    EventKind.COMMENT_RESOLVED: Shape(COMMENT),
    EventKind.COMMENT_REOPENED: Shape(COMMENT),
    EventKind.COMMENT_DELETED: Shape(Obj({"comment": Obj({"id": int, "endpoint": int})})),
    EventKind.MEMBER_JOINED: Shape(MEMBER),
    EventKind.MEMBER_ROLE_CHANGED: Shape(MEMBER),
    EventKind.MEMBER_LEFT: Shape(MEMBER),
    EventKind.PROJECT_UPDATED: Shape(
        Obj({"project": Obj({"id": int, "name": str, "version": int})})
    ),
    EventKind.ENVIRONMENT_CREATED: Shape(ENVIRONMENT),
    EventKind.ENVIRONMENT_UPDATED: Shape(ENVIRONMENT),
    EventKind.ENVIRONMENT_DELETED: Shape(ENVIRONMENT),
    EventKind.VARIABLE_CREATED: Shape(VARIABLE),
    EventKind.VARIABLE_UPDATED: Shape(VARIABLE),
    EventKind.VARIABLE_DELETED: Shape(VARIABLE),
    EventKind.CURRENT_VALUE_CHANGED: Shape(
        Obj(
            {
                "variable": Obj({"id": int, "environment": Nullable(int), "name": str}),
                "set": bool,
            }
        ),
        owner_only=True,
    ),
    EventKind.SHARE_LINK_CREATED: Shape(SHARE_LINK),
    EventKind.SHARE_LINK_UPDATED: Shape(SHARE_LINK),
    EventKind.SHARE_LINK_REVOKED: Shape(SHARE_LINK),
    EventKind.SHARE_LINK_ROTATED: Shape(SHARE_LINK),
    EventKind.SHARE_LINK_DELETED: Shape(SHARE_LINK),
    # Never the PEM: clients read the bundle again over REST.
    EventKind.CA_BUNDLE_UPDATED: Shape(
        Obj({"ca_bundle": Obj({"project": int, "updated_at": str})})
    ),
    EventKind.CA_BUNDLE_DELETED: Shape(Obj({"ca_bundle": Obj({"project": int})})),
    # What the Certificates page lists, never the chain or the key.
    EventKind.CLIENT_CERTIFICATE_CREATED: Shape(Obj({"client_certificate": CLIENT_CERTIFICATE})),
    EventKind.CLIENT_CERTIFICATE_DELETED: Shape(Obj({"client_certificate": CLIENT_CERTIFICATE})),
    EventKind.SCHEMA_CREATED: Shape(PROJECT_SCHEMA),
    EventKind.SCHEMA_UPDATED: Shape(PROJECT_SCHEMA),
    EventKind.SCHEMA_DELETED: Shape(PROJECT_SCHEMA),
    EventKind.SCENARIO_CREATED: Shape(Obj({"scenario": SCENARIO_REF})),
    EventKind.SCENARIO_UPDATED: Shape(Obj({"scenario": SCENARIO_REF, "changed": ListOf(str)})),
    EventKind.SCENARIO_DELETED: Shape(Obj({"scenario": SCENARIO_REF})),
    EventKind.SCENARIO_FOLDER_CREATED: Shape(SCENARIO_FOLDER),
    EventKind.SCENARIO_FOLDER_UPDATED: Shape(SCENARIO_FOLDER),
    EventKind.SCENARIO_FOLDER_DELETED: Shape(SCENARIO_FOLDER),
    # Never the key or the header value: members read them again over REST.
    EventKind.MOCK_UPDATED: Shape(Obj({"mock": Obj({"enabled": bool}), "changed": ListOf(str)})),
    EventKind.MOCK_BEHAVIOUR_UPDATED: Shape(
        Obj({"endpoint": Obj({"id": int, "name": str}), "version": int})
    ),
}


class EventShapeError(ValueError):
    """A service built an event its kind does not declare: a bug, caught before it is sent."""


def check_event(event: Mapping[str, Any], *, owner_only: bool) -> EventKind:
    """``event`` (``{"kind": EventKind, ...payload}``) matches its kind's declared payload and
    audience; returns the kind."""
    kind = event.get("kind")
    if not isinstance(kind, EventKind):
        raise EventShapeError(f"An event's kind is an EventKind, not {kind!r}.")
    shape = SHAPES[kind]
    if shape.owner_only != owner_only:
        where = "publish_to_member" if shape.owner_only else "publish"
        raise EventShapeError(f"{kind} events are sent with events.{where}().")
    payload = {key: value for key, value in event.items() if key != "kind"}
    errors = shape_errors(payload, shape.payload)
    if errors:
        raise EventShapeError(f"{kind}: " + "; ".join(errors))
    return kind
