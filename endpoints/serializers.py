"""HTTP in/out for the workspace API.

Input serializers parse and check shapes (services check relations). Responses are built by
the plain ``*_data`` functions, which are fast enough for large trees and lists; the output
serializers describe the same shapes for the OpenAPI schema, and a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import ValidationFailed
from core.formats import BodyFormatError, validate_body
from core.markdown import render_markdown
from core.people import UserBriefSerializer, user_brief
from core.timestamps import iso
from core.versioning import VersionedInput
from endpoints.handshake import (
    HandshakeError,
    clean_rows,
    clean_settings,
    clean_subprotocols,
)
from endpoints.mentions import highlight_mentions
from endpoints.models import (
    Comment,
    Endpoint,
    EndpointStatus,
    Environment,
    Folder,
    MessageFormat,
    Project,
    Revision,
    Role,
    SavedMessage,
    Tag,
    Variable,
)
from endpoints.variables import (
    is_valid_name,
    references_in_endpoint,
    static_text,
    url_template_problem,
    usage_summary,
)

# --- output ---------------------------------------------------------------------------------


def project_data(
    project: Project, role: str | None = None, member_count: int | None = None
) -> dict[str, Any]:
    data = {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "version": project.version,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
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
        "joined_at": iso(membership.created_at),
    }


def folder_data(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.pk,
        "name": folder.name,
        "parent": folder.parent_id,
        "position": folder.position,
        "version": folder.version,
        "updated_at": iso(folder.updated_at),
        "updated_by": user_brief(folder.updated_by),
    }


def message_data(message: SavedMessage) -> dict[str, Any]:
    """A saved message; also takes a row with the same names (``selectors.EndpointRow``)."""
    return {
        "id": message.id,
        "name": message.name,
        "format": message.format,
        "body": message.body,
        "description": message.description,
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
    people: tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None],
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
        "url": fields.url,
        "params": fields.params,
        "headers": fields.headers,
        "cookies": fields.cookies,
        "subprotocols": fields.subprotocols,
        "settings": clean_settings(None, base=fields.connection_settings),
        "messages": [message_data(m) for m in messages],
        "variables": _variables_used(fields, messages),
        "status": fields.status,
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
    """Which ``{{names}}`` the endpoint uses and where (``headers[2].value``, ``messages[0].body``)."""
    return _variables_used(endpoint, endpoint.messages.all())


def _variables_used(fields: Any, messages: Any) -> list[dict[str, Any]]:
    handshake = {
        "url": fields.url,
        "params": fields.params,
        "headers": fields.headers,
        "cookies": fields.cookies,
        "subprotocols": fields.subprotocols,
    }
    bodies = [{"body": m.body} for m in messages]
    return usage_summary(references_in_endpoint(handshake, bodies))


def tag_data(tag: Tag) -> dict[str, Any]:
    data: dict[str, Any] = {"id": tag.pk, "name": tag.name}
    if hasattr(tag, "endpoint_count"):
        data["endpoint_count"] = tag.endpoint_count
    return data


# --- schema-only descriptions of the output (kept equal to the functions above by a test) ---


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
    messages = SavedMessageOutSerializer(many=True, source="messages.all")
    variables = serializers.SerializerMethodField(help_text="The {{names}} used, and where.")
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
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


class BatchResultSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.IntegerField())
    deleted = serializers.ListField(child=serializers.IntegerField())


# --- input ----------------------------------------------------------------------------------


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
        # A body with {{references}} is checked after substitution, at send; one without is
        # checked as it will be sent (escapes such as \{{ applied).
        body = static_text(attrs.get("body", ""))
        try:
            if body is not None:
                validate_body(attrs.get("format", MessageFormat.TEXT), body)
        except BodyFormatError as exc:
            raise serializers.ValidationError({"body": [str(exc)]}) from None
        return attrs


class HandshakeInput(serializers.Serializer):
    """Parses rows, subprotocols and settings with the shared handshake module, not DRF fields.

    Errors keep the module's flat paths (``headers[2].value``); the DRF fields of the same names
    only describe the shapes in the schema. Subclasses add fields or checks through the hooks.
    """

    handshake_fields: tuple[str, ...] = ("params", "headers", "cookies", "subprotocols", "settings")

    def clean_handshake_field(self, key: str, value: Any) -> Any:
        if key == "subprotocols":
            return clean_subprotocols(value)
        if key == "settings":
            clean_settings(value)
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
            problem = url_template_problem(attrs["url"])
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
    messages = SavedMessageInSerializer(many=True, required=False, max_length=200)
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)
    assignee = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    description = serializers.CharField(allow_blank=True, required=False, max_length=100_000)


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


# --- environments and variables -------------------------------------------------------------

MAX_VARIABLE_VALUE = 1_000_000


def environment_data(environment: Environment) -> dict[str, Any]:
    data = {
        "id": environment.pk,
        "name": environment.name,
        "position": environment.position,
        "base_url": environment.base_url,
        "version": environment.version,
        "created_at": iso(environment.created_at),
        "updated_at": iso(environment.updated_at),
        "updated_by": user_brief(environment.updated_by),
    }
    if hasattr(environment, "variable_count"):
        data["variable_count"] = environment.variable_count
    return data


def variable_data(variable: Variable) -> dict[str, Any]:
    """A variable as the caller may see it: never a secret's value, only their own current value.

    Expects ``selectors.project_variables``/``variable_get``, which join the caller's own
    current value as ``own_value_id``/``own_value``; nobody else's is ever read.
    """
    own_set = getattr(variable, "own_value_id", None) is not None
    return {
        "id": variable.pk,
        "environment": variable.environment_id,
        "name": variable.name,
        "description": variable.description,
        "secret": variable.secret,
        "initial_value": None if variable.secret else variable.initial_value,
        "value_set": variable.initial_value != "",
        "current_value": variable.own_value if own_set and not variable.secret else None,
        "current_value_set": own_set,
        "position": variable.position,
        "version": variable.version,
        "created_at": iso(variable.created_at),
        "updated_at": iso(variable.updated_at),
        "updated_by": user_brief(variable.updated_by),
    }


class EnvironmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    base_url = serializers.CharField(
        allow_blank=True, help_text="Offered to references as {{baseUrl}}."
    )
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)
    variable_count = serializers.IntegerField(required=False)


class VariableOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    environment = serializers.IntegerField(allow_null=True, help_text="null: a project global.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    secret = serializers.BooleanField()
    initial_value = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="The shared value; always null for a secret."
    )
    value_set = serializers.BooleanField(help_text="Whether the shared value is non-empty.")
    current_value = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        help_text="Your own private value; null when unset or secret.",
    )
    current_value_set = serializers.BooleanField(help_text="Whether you have a current value.")
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)


class EndpointVariableStatusSerializer(VariableUsageSerializer):
    resolves = serializers.BooleanField(help_text="Whether it has a value for you, here.")
    source = serializers.ChoiceField(
        choices=["override", "current_value", "environment", "base_url", "global", "dynamic"],
        allow_null=True,
    )
    secret = serializers.BooleanField()


class EndpointVariablesSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True)
    variables = EndpointVariableStatusSerializer(many=True)
    unresolved = serializers.ListField(child=serializers.DictField(), help_text="{name, where}")


class PairSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField(allow_blank=True)


class ResolvedHandshakeSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="With the enabled params appended.")
    params = PairSerializer(many=True)
    headers = PairSerializer(many=True)
    cookies = PairSerializer(many=True)
    subprotocols = serializers.ListField(child=serializers.CharField())


class PreviewOutSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True)
    handshake = ResolvedHandshakeSerializer(help_text="Secrets are shown as ••••.")


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold unpaired surrogates (NUL is refused by CharField already).
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise serializers.ValidationError("Unpaired surrogate characters are not allowed.")
    return value


class EnvironmentInSerializer(VersionedInput):
    name = serializers.CharField(max_length=100, validators=[_storable])
    base_url = serializers.CharField(
        allow_blank=True, required=False, max_length=2048, trim_whitespace=False
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)

    def validate_base_url(self, value: str) -> str:
        if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in value):
            raise serializers.ValidationError("No spaces or control characters.")
        return _storable(value)


class VariableInSerializer(VersionedInput):
    name = serializers.CharField(max_length=100, trim_whitespace=False)
    environment = serializers.IntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        help_text="An environment id; null or absent for a project global. Fixed once created.",
    )
    initial_value = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=MAX_VARIABLE_VALUE,
        trim_whitespace=False,
        validators=[_storable],
    )
    description = serializers.CharField(
        allow_blank=True, required=False, max_length=100_000, validators=[_storable]
    )
    secret = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)

    def validate_name(self, value: str) -> str:
        if not is_valid_name(value):
            raise serializers.ValidationError(
                "A name starts with a letter or '_' and continues with letters, digits, "
                "'_', '-' or '.'."
            )
        return value


class CurrentValueInSerializer(serializers.Serializer):
    value = serializers.CharField(
        allow_blank=True,
        max_length=MAX_VARIABLE_VALUE,
        trim_whitespace=False,
        validators=[_storable],
    )


class PreviewInSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000),
        required=False,
        help_text="Values for this preview only; they win over every stored value.",
    )

    def validate_values(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 500:
            raise serializers.ValidationError("At most 500 values.")
        return value


# --- history, comments and project events ---------------------------------------------------


def revision_data(revision: Revision, *, with_snapshot: bool = False) -> dict[str, Any]:
    """A revision; with the snapshot, it also shows the endpoint or folder as it was then."""
    data: dict[str, Any] = {
        "id": revision.pk,
        "version": revision.version,
        "action": revision.action,
        "actor": user_brief(revision.actor),
        "created_at": iso(revision.created_at),
        "changes": revision.changes,
        "revert_of": revision.revert_of,
    }
    if with_snapshot:
        if revision.endpoint_id is not None:
            data["endpoint"] = {
                "id": revision.endpoint_id,
                "version": revision.version,
                **revision.snapshot,
            }
        else:
            data["folder"] = {
                "id": revision.folder_id,
                "version": revision.version,
                **revision.snapshot,
            }
    return data


def comment_data(comment: Comment) -> dict[str, Any]:
    """A comment with its Markdown rendered (sanitized) and members' @mentions marked.

    Expects ``author``, ``resolved_by`` and ``mentions`` loaded (``selectors.endpoint_comments``).
    """
    mentions = sorted(comment.mentions.all(), key=lambda user: user.get_username().lower())
    members = {user.get_username().lower(): user_brief(user) for user in mentions}
    return {
        "id": comment.pk,
        "endpoint": comment.endpoint_id,
        "author": user_brief(comment.author),
        "body": comment.body,
        "body_html": highlight_mentions(render_markdown(comment.body), members),
        "mentions": [members[user.get_username().lower()] for user in mentions],
        "resolved": comment.resolved_at is not None,
        "resolved_at": iso(comment.resolved_at),
        "resolved_by": user_brief(comment.resolved_by),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "edited_at": iso(comment.edited_at),
    }


class RevisionChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="Value before; null when created.")
    new = serializers.JSONField(allow_null=True)


class RevisionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The version this change produced.")
    action = serializers.ChoiceField(choices=["created", "updated", "moved", "reverted"])
    actor = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    changes = RevisionChangeSerializer(many=True)
    revert_of = serializers.IntegerField(
        allow_null=True, help_text="For a revert: the revision that was restored."
    )


class EndpointSnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    folder = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    params = RowSerializer(many=True)
    headers = RowSerializer(many=True)
    cookies = RowSerializer(many=True)
    subprotocols = serializers.ListField(child=serializers.CharField())
    settings = SettingsSerializer()
    messages = SavedMessageOutSerializer(many=True)
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    assignee = UserBriefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)


class FolderSnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()


class EndpointRevisionDetailSerializer(RevisionOutSerializer):
    endpoint = EndpointSnapshotSerializer(help_text="The endpoint as it was after this change.")


class FolderRevisionOutSerializer(RevisionOutSerializer):
    folder = FolderSnapshotSerializer(help_text="The folder as it was after this change.")


class CommentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint = serializers.IntegerField()
    author = UserBriefSerializer(allow_null=True)
    body = serializers.CharField(help_text="Markdown source.")
    body_html = serializers.CharField(
        help_text='Sanitized HTML; members\' @mentions are <span class="mention">.'
    )
    mentions = UserBriefSerializer(many=True)
    resolved = serializers.BooleanField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class CommentInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False, validators=[_storable])


class RevertInSerializer(VersionedInput):
    """Optionally the endpoint version you read (or send If-Match)."""


class ProjectEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Per-project sequence number, from 1, no gaps.")
    kind = serializers.CharField(help_text="e.g. endpoint.updated, comment.added, member.left")
    at = serializers.DateTimeField()
    actor = UserBriefSerializer(allow_null=True)


class ProjectEventsSerializer(serializers.Serializer):
    events = ProjectEventSerializer(many=True)
    last_seq = serializers.IntegerField(help_text="The project's latest sequence number.")
