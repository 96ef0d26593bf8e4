"""HTTP in/out for the workspace API.

Input serializers parse and check shapes (services check relations). Responses are built by
the plain ``*_data`` functions, which are fast enough for large trees and lists; the output
serializers describe the same shapes for the OpenAPI schema, and a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from endpoints.formats import BodyFormatError, validate_body
from endpoints.handshake import (
    HandshakeError,
    clean_rows,
    clean_settings,
    clean_subprotocols,
    url_problem,
)
from endpoints.models import (
    AccessToken,
    Endpoint,
    EndpointStatus,
    Folder,
    MessageFormat,
    Project,
    Role,
    SavedMessage,
    Tag,
)
from endpoints.services import user_brief

# --- output ---------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def project_data(
    project: Project, role: str | None = None, member_count: int | None = None
) -> dict[str, Any]:
    data = {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "version": project.version,
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
    }
    if role is not None:
        data["role"] = role
    if member_count is not None:
        data["member_count"] = member_count
    return data


def member_data(membership: Any) -> dict[str, Any]:
    user = membership.user
    return {
        "user": user_brief(user),
        "role": membership.role,
        "joined_at": _iso(membership.created_at),
    }


def folder_data(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.pk,
        "name": folder.name,
        "parent": folder.parent_id,
        "position": folder.position,
        "version": folder.version,
        "updated_at": _iso(folder.updated_at),
        "updated_by": user_brief(folder.updated_by),
    }


def message_data(message: SavedMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "name": message.name,
        "format": message.format,
        "body": message.body,
        "description": message.description,
    }


def endpoint_data(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint with everything it holds; expects ``selectors.endpoints_with_relations``."""
    return {
        "id": endpoint.pk,
        "project": endpoint.project_id,
        "folder": endpoint.folder_id,
        "position": endpoint.position,
        "name": endpoint.name,
        "url": endpoint.url,
        "params": endpoint.params,
        "headers": endpoint.headers,
        "cookies": endpoint.cookies,
        "subprotocols": endpoint.subprotocols,
        "settings": clean_settings(None, base=endpoint.connection_settings),
        "messages": [message_data(m) for m in endpoint.messages.all()],
        "status": endpoint.status,
        "assignee": user_brief(endpoint.assignee),
        "tags": endpoint.tag_names,
        "description": endpoint.description,
        "version": endpoint.version,
        "created_at": _iso(endpoint.created_at),
        "updated_at": _iso(endpoint.updated_at),
        "created_by": user_brief(endpoint.created_by),
        "updated_by": user_brief(endpoint.updated_by),
    }


def tag_data(tag: Tag) -> dict[str, Any]:
    data: dict[str, Any] = {"id": tag.pk, "name": tag.name}
    if hasattr(tag, "endpoint_count"):
        data["endpoint_count"] = tag.endpoint_count
    return data


def token_data(token: AccessToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "last_used_at": _iso(token.last_used_at),
    }


# --- schema-only descriptions of the output (kept equal to the functions above by a test) ---


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username")
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user: Any) -> str:
        return user_brief(user)["display_name"]


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
        help_text="Seconds between pings; 0 turns pings off (default 20)."
    )


class SettingsInSerializer(SettingsSerializer):
    """Any subset of the settings; the rest keep their current (or default) values."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class SavedMessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    format = serializers.ChoiceField(choices=MessageFormat.choices)
    body = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)


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
    messages = SavedMessageOutSerializer(many=True, source="messages.all")
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    assignee = UserBriefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), source="tag_names")
    description = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    created_by = UserBriefSerializer(allow_null=True)
    updated_by = UserBriefSerializer(allow_null=True)


class EndpointSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    folder = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    url = serializers.CharField()
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    assignee = UserBriefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())


class TreeFolderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    version = serializers.IntegerField()
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


class ProjectOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    member_count = serializers.IntegerField(required=False)


class MemberOutSerializer(serializers.Serializer):
    user = UserBriefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField()


class FolderOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)


class TagOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    endpoint_count = serializers.IntegerField(required=False)


class TokenOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the token, to recognise it.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedSerializer(TokenOutSerializer):
    token = serializers.CharField(help_text="The secret. Shown once; store it now.")


class BatchResultSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.IntegerField())
    deleted = serializers.ListField(child=serializers.IntegerField())


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


# --- input ----------------------------------------------------------------------------------


class VersionedInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read; a stale one is rejected (412).",
    )


class TokenCreateSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ProjectInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, max_length=100_000)


class MemberAddSerializer(serializers.Serializer):
    user = serializers.CharField(
        help_text="Username or user id of an existing account.", max_length=150
    )
    role = serializers.ChoiceField(choices=Role.choices)


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class FolderInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200)
    parent = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)


class SavedMessageInSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, min_value=1)
    name = serializers.CharField(max_length=200)
    format = serializers.ChoiceField(choices=MessageFormat.choices, default=MessageFormat.TEXT)
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=1_000_000, default=""
    )
    description = serializers.CharField(allow_blank=True, max_length=100_000, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_body(attrs.get("format", MessageFormat.TEXT), attrs.get("body", ""))
        except BodyFormatError as exc:
            raise serializers.ValidationError({"body": [str(exc)]}) from None
        return attrs


class EndpointInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200)
    url = serializers.CharField(max_length=2048, trim_whitespace=False)
    folder = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    params = RowSerializer(many=True, required=False)
    headers = RowSerializer(many=True, required=False)
    cookies = RowSerializer(many=True, required=False)
    subprotocols = serializers.ListField(child=serializers.CharField(), required=False)
    settings = SettingsInSerializer(required=False)
    messages = SavedMessageInSerializer(many=True, required=False)
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)
    assignee = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    description = serializers.CharField(allow_blank=True, required=False, max_length=100_000)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Rows, subprotocols and settings are checked by the shared handshake module."""
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        handshake_fields = ("params", "headers", "cookies", "subprotocols", "settings")
        raw = {key: data[key] for key in handshake_fields if key in data}
        rest = {key: value for key, value in data.items() if key not in handshake_fields}
        errors: dict[str, Any] = {}
        try:
            attrs = super().to_internal_value(rest)
        except serializers.ValidationError as exc:
            errors.update(exc.detail)
            attrs = {}
        for key, value in raw.items():
            try:
                if key == "subprotocols":
                    attrs[key] = clean_subprotocols(value)
                elif key == "settings":
                    clean_settings(value)
                    attrs[key] = value
                else:
                    attrs[key] = clean_rows(value, key)
            except HandshakeError as exc:
                errors.update(exc.fields)
        if "url" in attrs:
            problem = url_problem(attrs["url"])
            if problem:
                errors["url"] = [problem]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class BatchOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=["move", "set_status", "set_assignee", "add_tags", "remove_tags", "delete"]
    )
    folder = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)
    assignee = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )

    REQUIRED = {
        "move": "folder",
        "set_status": "status",
        "set_assignee": "assignee",
        "add_tags": "tags",
        "remove_tags": "tags",
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needed = self.REQUIRED.get(attrs["op"])
        if needed and needed not in attrs:
            raise serializers.ValidationError({needed: [f"Required for {attrs['op']}."]})
        return attrs


class BatchSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=5000
    )
    operations = BatchOperationSerializer(many=True, min_length=1, max_length=20)
    versions = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Endpoint id → the version you read; one stale entry rejects the batch.",
    )

    def validate_versions(self, value: dict[str, int]) -> dict[int, int]:
        try:
            return {int(key): version for key, version in value.items()}
        except ValueError:
            raise serializers.ValidationError("Keys must be endpoint ids.") from None


class TagInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)


class SignupSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, min_length=8, max_length=256)
    email = serializers.EmailField(required=False, allow_blank=True)
