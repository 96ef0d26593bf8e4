"""Shapes of folders, endpoints, saved messages and tags in the API.

The ``*_data`` functions produce the JSON; ``*OutSerializer`` classes only describe it for the
schema, and tests/test_shapes.py keeps the two equal. ``*InSerializer`` classes parse input.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import ValidationFailed
from core.people import UserBrief, UserBriefSerializer, user_brief
from core.query import (
    BooleanWordField,
    QueryListField,
    QueryTextField,
    QueryValueField,
    as_whole_number,
)
from core.timestamps import iso
from core.versioning import VersionedInput
from endpoints.auth import auth_public, clean_auth
from endpoints.auth_serializers import AUTH_HELP, AuthInSerializer, AuthOutSerializer
from endpoints.environments.resolver import (
    Usage,
    references,
    references_in_endpoint,
    url_template_problem,
    usage_summary,
)
from endpoints.handshake import (
    API_FIELDS,
    HandshakeError,
    clean_rows,
    clean_settings,
    clean_socketio,
    clean_subprotocols,
    handshake_data,
    handshake_of,
    protocol_problem,
)
from endpoints.models import (
    Endpoint,
    EndpointStatus,
    Folder,
    Tag,
)
from endpoints.tree.message_serializers import (
    MessageInSerializer,
    MessageOutSerializer,
    message_data,
)
from endpoints.tree.protocol_serializers import (
    SocketIOSettingsInSerializer,
    SocketIOSettingsSerializer,
    protocol_field,
)
from endpoints.tree.selectors import ENDPOINT_ORDERINGS, ROOT


def folder_data(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.pk,
        "name": folder.name,
        "parent": folder.parent_id,
        "position": folder.position,
        "version": folder.version,
        "auth": auth_public(folder.auth),
        "updated_at": iso(folder.updated_at),
        "updated_by": user_brief(folder.updated_by),
    }


def endpoint_data(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint with everything it holds; expects ``selectors.endpoints_with_relations``."""
    messages = list(endpoint.messages.all())
    return _endpoint_representation(
        endpoint,
        messages=messages,
        tags=endpoint.tag_names,
        people=(
            user_brief(endpoint.assignee),
            user_brief(endpoint.created_by),
            user_brief(endpoint.updated_by),
        ),
    )


def endpoint_row_data(row: Any) -> dict[str, Any]:
    """The same as ``endpoint_data``, from a ``selectors.EndpointRow`` (list pages: plain values)."""
    return _endpoint_representation(
        row.fields,
        messages=row.messages,
        tags=row.tags,
        people=(row.assignee, row.created_by, row.updated_by),
    )


def _endpoint_representation(
    fields: Any,
    *,
    messages: list[Any],
    tags: list[str],
    people: tuple[UserBrief | None, UserBrief | None, UserBrief | None],
) -> dict[str, Any]:
    """The one endpoint shape. ``fields`` is an Endpoint or a row with its attribute names,
    ``messages`` SavedMessages or rows alike, ``people`` the assignee, creator and last editor."""
    assignee, created_by, updated_by = people
    return {
        "id": fields.id,
        "project": fields.project_id,
        "folder": fields.folder_id,
        "position": fields.position,
        "name": fields.name,
        **handshake_data(fields),
        "auth": auth_public(fields.auth),
        "messages": [message_data(m) for m in messages],
        "variables": _variables_used(fields, messages),
        "status": fields.status,
        "strict": fields.strict,
        "assignee": assignee,
        "tags": tags,
        "description": fields.description,
        "version": fields.version,
        "created_at": iso(fields.created_at),
        "updated_at": iso(fields.updated_at),
        "created_by": created_by,
        "updated_by": updated_by,
    }


def endpoint_variables_used(endpoint: Endpoint) -> list[dict[str, Any]]:
    """Which ``{{names}}`` the endpoint uses and where (``headers[2].value``,
    ``messages[0].examples[1].body``)."""
    return _variables_used(endpoint, endpoint.messages.all())


def _variables_used(fields: Any, messages: Any) -> list[dict[str, Any]]:
    usages = references_in_endpoint(handshake_of(fields))
    for index, message in enumerate(messages):
        for number, example in enumerate(message.examples or []):
            body = example.get("body")
            if isinstance(body, str) and "{{" in body:
                where = f"messages[{index}].examples[{number}].body"
                usages.extend(Usage(r.name, r.dynamic, where) for r in references(body))
    return usage_summary(usages)


def tag_data(tag: Tag) -> dict[str, Any]:
    data: dict[str, Any] = {"id": tag.pk, "name": tag.name}
    if hasattr(tag, "endpoint_count"):
        data["endpoint_count"] = tag.endpoint_count
    return data


class RowSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    enabled = serializers.BooleanField(default=True)
    description = serializers.CharField(allow_blank=True, default="")


class SettingsSerializer(serializers.Serializer):
    open_timeout = serializers.FloatField(
        help_text="Seconds to wait for the handshake (default 10)."
    )
    max_message_size = serializers.IntegerField(
        help_text="Largest message in bytes (default 1 MiB)."
    )
    verify_tls = serializers.BooleanField(help_text="Verify wss:// certificates (default true).")
    ping_interval = serializers.FloatField(
        help_text="Seconds between keepalive pings; 0 turns them off (default 20). "
        "Keepalive pings are not logged."
    )
    compression = serializers.ChoiceField(
        choices=["default", "deflate", "off"],
        help_text="Offer permessage-deflate: default follows the server's "
        "UPSTREAM_COMPRESSION, deflate offers it, off does not.",
    )
    reconnect = serializers.BooleanField(
        help_text="Reconnect after an abnormal close (1006, 1011, 1012, 1013) (default false)."
    )
    reconnect_max_attempts = serializers.IntegerField(
        help_text="Attempts after one drop before giving up (default 5)."
    )
    reconnect_delay = serializers.FloatField(
        help_text="Seconds before the first attempt; doubled each attempt, with jitter (default 1)."
    )
    reconnect_max_delay = serializers.FloatField(
        help_text="The longest wait between attempts, in seconds (default 30)."
    )


class SettingsInSerializer(SettingsSerializer):
    """Any subset of the settings; the rest keep their current (or default) values."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


STRICT_HELP = (
    "Refuse (400) a send whose body violates its documented message's schema; "
    "otherwise it is sent with a warning."
)


class VariableUsageSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Variable name, or $name for a dynamic value.")
    dynamic = serializers.BooleanField()
    where = serializers.ListField(
        child=serializers.CharField(), help_text="Locations such as url or headers[2].value."
    )


class EndpointOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    folder = serializers.IntegerField(source="folder_id", allow_null=True)
    position = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    params = RowSerializer(many=True)
    headers = RowSerializer(many=True)
    cookies = RowSerializer(many=True)
    subprotocols = serializers.ListField(child=serializers.CharField())
    settings = SettingsSerializer(source="connection_settings")
    protocol = protocol_field(required=True)
    socketio = SocketIOSettingsSerializer()
    auth = serializers.SerializerMethodField(help_text=AUTH_HELP)
    messages = MessageOutSerializer(many=True, source="messages.all")
    variables = serializers.SerializerMethodField(help_text="The {{names}} used, and where.")
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    strict = serializers.BooleanField(help_text=STRICT_HELP)
    assignee = UserBriefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), source="tag_names")
    description = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    created_by = UserBriefSerializer(allow_null=True)
    updated_by = UserBriefSerializer(allow_null=True)

    @extend_schema_field(VariableUsageSerializer(many=True))
    def get_variables(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        return endpoint_variables_used(endpoint)

    @extend_schema_field(AuthOutSerializer)
    def get_auth(self, endpoint: Endpoint) -> dict[str, Any]:
        return auth_public(endpoint.auth)


class EndpointSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    folder = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    url = serializers.CharField()
    protocol = protocol_field(required=True)
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    assignee = UserBriefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())


# The fields every folder shape starts with. No docstring: drf-spectacular would copy it into
# the description of every schema component built on it.
class FolderFieldsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    # A declared field named like Field.parent; DRF's metaclass moves it off the class.
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    position = serializers.IntegerField()
    version = serializers.IntegerField()


class TreeFolderSerializer(FolderFieldsSerializer):
    folders = serializers.ListField(
        child=serializers.DictField(), help_text="Nested folders, same shape."
    )
    endpoints = EndpointSummarySerializer(many=True)


class ProjectBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TreeSerializer(serializers.Serializer):
    project = ProjectBriefSerializer()
    folders = TreeFolderSerializer(many=True)
    endpoints = EndpointSummarySerializer(many=True)


class FolderOutSerializer(FolderFieldsSerializer):
    auth = AuthOutSerializer(help_text=AUTH_HELP)
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)


class TagOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    endpoint_count = serializers.IntegerField(required=False)


class FolderInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200)
    # A declared field named like Field.parent; DRF's metaclass moves it off the class.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        allow_null=True, required=False, min_value=1
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    auth = AuthInSerializer(required=False, help_text=AUTH_HELP)

    def validate_auth(self, value: dict[str, Any]) -> dict[str, Any]:
        # Shape only; the service merges it with the stored tab.
        return dict(self.initial_data.get("auth") or value)


class HandshakeInput(serializers.Serializer):
    """Parses rows, subprotocols and settings with the shared handshake module, not DRF fields.

    Errors keep the module's flat paths (``headers[2].value``); the DRF fields of the same names
    only describe the shapes in the schema. Subclasses add fields or checks through the hooks.
    """

    handshake_fields: tuple[str, ...] = (*(name for name in API_FIELDS if name != "url"), "auth")

    def clean_handshake_field(self, key: str, value: Any) -> Any:
        if key == "auth":
            # Checked for shape here; the service merges it with the stored tab.
            clean_auth(value, partial=True)
            return value
        if key == "subprotocols":
            return clean_subprotocols(value)
        if key == "settings":
            clean_settings(value)
            return value
        if key == "socketio":
            clean_socketio(value)
            return value
        if key == "protocol":
            problem = protocol_problem(value)
            if problem:
                raise HandshakeError({"protocol": [problem]})
            return value
        return clean_rows(value, key)

    def handshake_errors(self, attrs: dict[str, Any]) -> dict[str, list[str]]:
        return {}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        raw = {key: data[key] for key in self.handshake_fields if key in data}
        rest = {key: value for key, value in data.items() if key not in self.handshake_fields}
        errors: dict[str, Any] = {}
        try:
            attrs = super().to_internal_value(rest)
        except serializers.ValidationError as exc:
            # Serializer.to_internal_value reports by field name: its detail is a dict.
            assert isinstance(exc.detail, dict)
            errors.update(exc.detail)
            attrs = {}
        for key, value in raw.items():
            try:
                attrs[key] = self.clean_handshake_field(key, value)
            except HandshakeError as exc:
                errors.update(exc.fields)
            except ValidationFailed as exc:
                errors.update(exc.extra["fields"])
        if attrs.get("url"):
            # A URL may hold {{references}}; the resolved URL is checked fully at connect.
            # Without a protocol in the request the stored one decides (the service checks).
            problem = url_template_problem(attrs["url"], attrs.get("protocol"))
            if problem:
                errors["url"] = [problem]
        errors.update(self.handshake_errors(attrs))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class EndpointInSerializer(HandshakeInput, VersionedInput):
    name = serializers.CharField(max_length=200)
    url = serializers.CharField(max_length=2048, trim_whitespace=False)
    folder = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    params = RowSerializer(many=True, required=False)
    headers = RowSerializer(many=True, required=False)
    cookies = RowSerializer(many=True, required=False)
    subprotocols = serializers.ListField(child=serializers.CharField(), required=False)
    settings = SettingsInSerializer(required=False)
    protocol = protocol_field(required=False)
    socketio = SocketIOSettingsInSerializer(required=False)
    auth = AuthInSerializer(required=False, help_text=AUTH_HELP)
    # The list built out as many=True builds it, so that its length limit is typed.
    messages = serializers.ListSerializer[Any](
        child=MessageInSerializer(required=False),
        required=False,
        help_text="The documented messages, in order; replaces the list (keep an item's id to "
        "keep it).",
    )
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)
    strict = serializers.BooleanField(required=False, help_text=STRICT_HELP)
    assignee = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    description = serializers.CharField(allow_blank=True, required=False, max_length=100_000)


class TagInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)


class EndpointFilterSerializer(serializers.Serializer):
    """The list filters of ``GET …/endpoints/``, parsed into ``endpoints_filtered``'s typed
    arguments. Needs ``context={"user": …}`` to read ``assignee=me``."""

    folder = QueryListField(required=False)
    recursive = BooleanWordField(required=False, default=False)
    status = QueryListField(required=False, source="statuses")
    assignee = QueryListField(required=False, source="assignees")
    tag = QueryListField(required=False, source="tags")
    q = QueryTextField(required=False, source="text")
    ordering = QueryValueField(required=False, default="position")

    def validate_folder(self, values: list[str]) -> int | str | None:
        if not values:
            return None
        ref = values[-1]
        if ref in {"root", "none"}:
            return ROOT
        folder_id = as_whole_number(ref)
        if folder_id is None:
            raise serializers.ValidationError("Use a folder id or 'root'.")
        return folder_id

    def validate_status(self, values: list[str]) -> list[str]:
        unknown = [value for value in values if value not in EndpointStatus.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; use {', '.join(EndpointStatus.values)}."
            )
        return values

    def validate_assignee(self, values: list[str]) -> list[int | None]:
        assignees: list[int | None] = []
        for ref in values:
            if ref == "none":
                assignees.append(None)
            elif ref == "me":
                assignees.append(self.context["user"].pk)
            elif (user_id := as_whole_number(ref)) is not None:
                assignees.append(user_id)
            else:
                raise serializers.ValidationError("Use a user id, 'me' or 'none'.")
        return assignees

    def validate_tag(self, values: list[str]) -> list[str]:
        if any("\x00" in tag for tag in values):
            # PostgreSQL rejects NUL in a query parameter; no tag can contain one anyway.
            raise serializers.ValidationError("NUL characters are not allowed.")
        return values

    def validate_q(self, text: str) -> str:
        if "\x00" in text:
            raise serializers.ValidationError("NUL characters are not allowed.")
        return text

    def validate_ordering(self, ordering: str) -> str:
        if ordering not in ENDPOINT_ORDERINGS:
            raise serializers.ValidationError(f"Use one of {', '.join(ENDPOINT_ORDERINGS)}.")
        return ordering
