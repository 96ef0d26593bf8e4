"""HTTP in/out for debug sessions: input serializers (shapes only; services check the rest),
the plain ``*_data`` functions that build responses, and the message detail view."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal, overload

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from core.errors import ValidationFailed
from core.formats import PRETTY_FORMATS
from core.timestamps import iso
from endpoints.auth import auth_public
from endpoints.auth_serializers import AUTH_HELP, AuthInSerializer, AuthOutSerializer
from endpoints.environments.resolver import is_valid_name
from endpoints.environments.serializers import MAX_VARIABLE_VALUE
from endpoints.handshake import handshake_data
from endpoints.models import MessageFormat
from endpoints.tree.message_serializers import MessageInSerializer
from endpoints.tree.protocol_serializers import (
    SocketIOSettingsInSerializer,
    SocketIOSettingsSerializer,
    protocol_field,
)
from endpoints.tree.serializers import (
    HandshakeInput,
    RowSerializer,
    SettingsInSerializer,
)
from endpoints.tree.serializers import SettingsSerializer as EndpointSettingsSerializer
from sessions.event_serializers import ProblemSerializer
from sessions.handshake import reserved_header_errors
from sessions.models import Connection, DebugSession, ProjectCABundle, SessionState
from sessions.selectors import sessions_secret_names

# --- output ---------------------------------------------------------------------------------


def connection_data(connection: Connection | None) -> dict[str, Any] | None:
    if connection is None:
        return None
    return {
        "number": connection.number,
        "relay": connection.relay_name,
        "started_at": iso(connection.started_at),
        "opened_at": iso(connection.opened_at),
        "ended_at": iso(connection.ended_at),
        "request": {
            "url": connection.request_url,
            "headers": connection.request_headers,
            "cookies": connection.request_cookies,
            "subprotocols": connection.subprotocols_offered,
            "remote_address": connection.remote_address or None,
        },
        "response": {
            "status": connection.response_status,
            "headers": connection.response_headers,
            "body": connection.response_body,
            "subprotocol": connection.subprotocol or None,
            "extensions": connection.extensions,
        },
        "failure": (
            {"kind": connection.failure_kind, "detail": connection.failure_detail}
            if connection.failure_kind
            else None
        ),
        "close": (
            {
                "code": connection.close_code,
                "reason": connection.close_reason,
                "by": connection.closed_by,
            }
            if connection.close_code is not None
            else None
        ),
        "client_certificate": connection.client_certificate,
    }


def session_data(
    session: DebugSession,
    connection: Connection | None = None,
    secret_names: Collection[str] | None = None,
) -> dict[str, Any]:
    """A session as the API shows it. The session's own value of a name that is secret (in
    the globals or its environment) is shown as null: no response carries a secret's value.
    ``secret_names`` is looked up (one query) when not given and the session has values."""
    variables = session.variables or {}
    if variables and secret_names is None:
        secret_names = sessions_secret_names(sessions=[session]).get(session.pk, set())
    data = {
        "id": session.pk,
        "project": session.project_id,
        "endpoint": session.endpoint_id,
        "name": session.name,
        **handshake_data(session),
        "auth": auth_public(session.auth),
        "environment": session.environment_id,
        "variables": {
            name: None if name in (secret_names or ()) else value
            for name, value in variables.items()
        },
        "state": session.state,
        "connection_count": session.connection_count,
        "last_seq": getattr(session, "last_seq", None) or 0,
        "created_at": iso(session.created_at),
        "updated_at": iso(session.updated_at),
        "last_activity_at": iso(session.last_activity_at),
        "live_url": f"/ws/sessions/{session.pk}/",
    }
    if connection is not None or session.connection_count == 0:
        data["connection"] = connection_data(connection)
    return data


# --- schema-only descriptions of the output -------------------------------------------------


class ConnectionRequestSerializer(serializers.Serializer):
    url = serializers.CharField()
    headers = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    cookies = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    subprotocols = serializers.ListField(child=serializers.CharField())
    remote_address = serializers.CharField(allow_null=True)


class ConnectionResponseSerializer(serializers.Serializer):
    status = serializers.IntegerField(allow_null=True)
    headers = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    body = serializers.CharField(allow_blank=True, help_text="Start of a refused handshake's body.")
    subprotocol = serializers.CharField(allow_null=True)
    extensions = serializers.ListField(child=serializers.CharField())


class FailureSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="egress, dns, refused, network, tls, timeout, handshake, redirect, protocol, "
        "relay, lost or cancelled; for Socket.IO also socketio_version (the server speaks the "
        "other version) and connect_error (the server refused the namespace)."
    )
    detail = serializers.CharField()


class CloseSerializer(serializers.Serializer):
    code = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)
    by = serializers.CharField(help_text="client, upstream, relay or network.")


class PresentedCertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Its id at the time (it may have been deleted since).")
    name = serializers.CharField(allow_blank=True)
    host_pattern = serializers.CharField()
    subject = serializers.CharField()
    fingerprint = serializers.CharField()


class ConnectionOutSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    relay = serializers.CharField()
    started_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    request = ConnectionRequestSerializer()
    response = ConnectionResponseSerializer()
    failure = FailureSerializer(allow_null=True)
    close = CloseSerializer(allow_null=True)
    client_certificate = PresentedCertificateSerializer(
        allow_null=True,
        help_text="The project's client certificate offered for mutual TLS, or null for none.",
    )


class SessionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    endpoint = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    params = RowSerializer(many=True)
    headers = RowSerializer(many=True)
    cookies = RowSerializer(many=True)
    subprotocols = serializers.ListField(child=serializers.CharField())
    settings = EndpointSettingsSerializer()
    protocol = protocol_field(required=True)
    socketio = SocketIOSettingsSerializer()
    auth = AuthOutSerializer(help_text=AUTH_HELP)
    environment = serializers.IntegerField(
        allow_null=True, help_text="The environment {{variables}} come from (with the globals)."
    )
    variables = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="This session's own values; a secret name's value is shown as null.",
    )
    state = serializers.ChoiceField(choices=SessionState.choices)
    connection_count = serializers.IntegerField()
    last_seq = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    live_url = serializers.CharField()
    connection = ConnectionOutSerializer(
        allow_null=True, required=False, help_text="The latest connection (detail views)."
    )


class SentSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    connection = serializers.IntegerField()
    opcode = serializers.CharField()
    size = serializers.IntegerField()
    truncated = serializers.BooleanField()
    timestamp = serializers.DateTimeField()
    message = serializers.CharField(allow_null=True)
    contract = serializers.CharField(allow_blank=True)
    problems = ProblemSerializer(many=True, allow_null=True)
    warning = serializers.CharField(
        required=False, help_text="Present when the message was sent although it is invalid."
    )


class FormattedSerializer(serializers.Serializer):
    format = serializers.CharField()
    formatted = serializers.CharField()


def ca_bundle_data(bundle: ProjectCABundle) -> dict[str, Any]:
    return {"project": bundle.project_id, "pem": bundle.pem, "updated_at": iso(bundle.updated_at)}


class CABundleOutSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    pem = serializers.CharField()
    updated_at = serializers.DateTimeField()


# --- input ----------------------------------------------------------------------------------

MAX_SESSION_VARIABLES = 500


@overload
def clean_variables(
    value: Any, field: str = ..., *, allow_null: Literal[False] = ...
) -> dict[str, str]: ...


@overload
def clean_variables(value: Any, field: str = ..., *, allow_null: bool) -> dict[str, str | None]: ...


def clean_variables(
    value: Any, field: str = "variables", *, allow_null: bool = False
) -> dict[str, Any]:
    """Values given for a session or one send: ``{name: value}``; raises ValidationFailed.

    ``allow_null`` (a session's draft): null keeps the value the session has for that name.
    """
    if not isinstance(value, dict):
        raise ValidationFailed({field: ["Expected an object of variable names to values."]})
    if len(value) > MAX_SESSION_VARIABLES:
        raise ValidationFailed({field: [f"At most {MAX_SESSION_VARIABLES} values."]})
    errors: dict[str, list[str]] = {}
    for name, item in value.items():
        path = f"{field}.{name}"
        if not is_valid_name(name):
            errors[path] = [
                "Not a variable name: it starts with a letter or '_' and continues with "
                "letters, digits, '_', '-' or '.' (at most 100 characters)."
            ]
        elif item is None:
            if not allow_null:
                errors[path] = ["Must be a string."]
        elif not isinstance(item, str):
            errors[path] = ["Must be a string."]
        elif len(item) > MAX_VARIABLE_VALUE:
            errors[path] = [f"At most {MAX_VARIABLE_VALUE} characters."]
        elif any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in item):
            errors[path] = ["NUL and unpaired surrogate characters are not allowed."]
    if errors:
        raise ValidationFailed(errors)
    return value


class VariablesField(serializers.DictField):
    """Schema of a ``variables`` input; the values are checked by ``clean_variables``."""

    child = serializers.CharField(allow_blank=True, allow_null=True, trim_whitespace=False)


class DraftSerializer(HandshakeInput):
    """The editable handshake; rows, subprotocols and settings are checked like an endpoint's."""

    handshake_fields = (*HandshakeInput.handshake_fields, "variables")

    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    url = serializers.CharField(
        max_length=2048, allow_blank=True, required=False, trim_whitespace=False
    )
    params = RowSerializer(many=True, required=False)
    headers = RowSerializer(many=True, required=False)
    cookies = RowSerializer(many=True, required=False)
    subprotocols = serializers.ListField(child=serializers.CharField(), required=False)
    settings = SettingsInSerializer(required=False)
    protocol = protocol_field(required=False)
    socketio = SocketIOSettingsInSerializer(required=False)
    auth = AuthInSerializer(required=False, help_text=AUTH_HELP)
    environment = serializers.IntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        help_text="An environment of the session's project, or null for the globals only.",
    )
    variables = VariablesField(
        required=False,
        help_text="This session's own values for {{variables}} (they win over every stored "
        "value); replaces the whole set. Null keeps the value the session has for that name.",
    )

    def clean_handshake_field(self, key: str, value: Any) -> Any:
        if key == "variables":
            return clean_variables(value, allow_null=True)
        return super().clean_handshake_field(key, value)

    def handshake_errors(self, attrs: dict[str, Any]) -> dict[str, list[str]]:
        return reserved_header_errors(attrs["headers"]) if "headers" in attrs else {}


class SessionCreateSerializer(DraftSerializer):
    endpoint = serializers.IntegerField(
        required=False, min_value=1, help_text="Copy the draft from this endpoint."
    )
    project = serializers.IntegerField(
        required=False, min_value=1, help_text="For a blank session: the project it belongs to."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "endpoint" not in attrs and "project" not in attrs:
            raise serializers.ValidationError(
                {"endpoint": ["Give an endpoint to copy, or a project for a blank session."]}
            )
        return attrs


class ConnectSerializer(serializers.Serializer):
    wait = serializers.BooleanField(
        default=True,
        help_text="Wait for the outcome (open or failed) before answering (default true).",
    )


class DisconnectSerializer(serializers.Serializer):
    code = serializers.IntegerField(default=1000, help_text="1000, or 3000-4999.")
    reason = serializers.CharField(
        allow_blank=True, default="", trim_whitespace=False, max_length=123
    )
    wait = serializers.BooleanField(default=True)

    def validate_code(self, value: int) -> int:
        if value != 1000 and not 3000 <= value <= 4999:
            raise serializers.ValidationError("Use 1000 or an application code 3000-4999.")
        return value

    def validate_reason(self, value: str) -> str:
        if len(value.encode("utf-8", errors="surrogatepass")) > 123:
            raise serializers.ValidationError("At most 123 bytes in UTF-8.")
        return value


class MessageText(serializers.CharField):
    """A message body: any text a WebSocket text frame can carry, NUL included."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]

    def to_internal_value(self, data: Any) -> str:
        # A number is not sent as its digits (DRF's CharField would); the socket refuses it too.
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SendSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=MessageFormat.choices, required=False)
    body = MessageText(
        allow_blank=True, trim_whitespace=False, required=False, max_length=64 * 1024 * 1024
    )
    message_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Send this documented message (its first example) instead of a body.",
    )
    example = serializers.CharField(
        required=False,
        max_length=200,
        help_text="With message_id: the name of the example to send (default: the first).",
    )
    variables = VariablesField(
        required=False,
        help_text="Values for this one send; they win over the session's own values.",
    )

    def validate_variables(self, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return clean_variables(value)
        except ValidationFailed as exc:
            fields = exc.extra["fields"]
            if "variables" in fields:
                raise serializers.ValidationError(fields["variables"]) from None
            raise serializers.ValidationError(
                {path.removeprefix("variables."): problems for path, problems in fields.items()}
            ) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "message_id" in attrs and ("body" in attrs or "format" in attrs):
            raise serializers.ValidationError(
                {"message_id": ["Send either a saved message or a format and body, not both."]}
            )
        if "example" in attrs and "message_id" not in attrs:
            raise serializers.ValidationError(
                {"example": ["Name an example only with a message_id."]}
            )
        if "message_id" not in attrs and "body" not in attrs:
            raise serializers.ValidationError(
                {"body": ["Give a body (it may be empty) or a message_id."]}
            )
        return attrs


class SaveSerializer(serializers.Serializer):
    target = serializers.ChoiceField(
        choices=["new", "source"],
        required=False,
        help_text="new: a new endpoint; source: the endpoint the session came from "
        "(default when there is one).",
    )
    name = serializers.CharField(max_length=200, required=False)
    folder = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    messages = MessageInSerializer(many=True, required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The source endpoint's version you read."
    )


class FormatSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=sorted(PRETTY_FORMATS))
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=16_000_000)


class CABundleInSerializer(serializers.Serializer):
    pem = serializers.CharField(trim_whitespace=False)
