"""Shapes of the mock in the API: ``*_data`` make the JSON, ``*Out`` describe it for the schema,
``*In`` parse input."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.request import Request

from core.versioning import VersionedInput
from endpoints.environments.serializers import storable
from mocks.models import MockFrameDirection, MockSettings

SPEC_HELP = (
    "The mock behaviour: handshake, on_open, auto_reply, rules, pushes, faults, unmatched "
    "(docs/mock.md). Omitted parts take their defaults; the response has them all."
)


def mock_base_url(request: Request, key: str) -> str:
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/mock/{key}"


def limits_data() -> dict[str, Any]:
    return {
        "max_connections_per_project": settings.MOCK_MAX_CONNECTIONS_PER_PROJECT,
        "max_message_size": settings.MOCK_MAX_MESSAGE_SIZE,
        "rate_limit": settings.MOCK_RATE_LIMIT,
        "min_push_interval_ms": settings.MOCK_MIN_PUSH_INTERVAL_MS,
        "log_connections": settings.MOCK_LOG_CONNECTIONS,
        "log_frames": settings.MOCK_LOG_FRAMES,
    }


def mock_settings_data(row: MockSettings, request: Request) -> dict[str, Any]:
    return {
        "enabled": row.enabled,
        "key": row.key,
        "base_url": mock_base_url(request, row.key),
        "header_name": row.header_name,
        "header_value": row.header_value,
        "limits": limits_data(),
    }


class MockLimitsSerializer(serializers.Serializer[Any]):
    max_connections_per_project = serializers.IntegerField()
    max_message_size = serializers.IntegerField()
    rate_limit = serializers.FloatField()
    min_push_interval_ms = serializers.IntegerField()
    log_connections = serializers.IntegerField()
    log_frames = serializers.IntegerField()


class MockSettingsOutSerializer(serializers.Serializer[Any]):
    enabled = serializers.BooleanField()
    key = serializers.CharField(help_text="The unguessable path segment of every mock URL.")
    base_url = serializers.CharField(help_text="ws(s)://<this server>/mock/<key>")
    header_name = serializers.CharField(help_text="A header clients must send; empty: none.")
    header_value = serializers.CharField()
    limits = MockLimitsSerializer()


class MockSettingsInSerializer(serializers.Serializer[Any]):
    enabled = serializers.BooleanField(required=False)
    header_name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, validators=[storable]
    )
    header_value = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        trim_whitespace=False,
        validators=[storable],
    )


class MockBehaviourOutSerializer(serializers.Serializer[Any]):
    endpoint = serializers.IntegerField()
    url = serializers.CharField(
        help_text="Where this endpoint's mock answers (a Socket.IO endpoint's: the WebSocket "
        "transport's URL, with EIO and transport)."
    )
    path = serializers.CharField(help_text="The part of url after /mock/<key>.")
    socketio_path = serializers.CharField(
        allow_null=True,
        help_text="Socket.IO endpoints: the path option a Socket.IO client connects with "
        "(/mock/<key>/v1/socket.io/); null for WebSocket endpoints.",
    )
    stored = serializers.BooleanField(help_text="False: the default behaviour.")
    version = serializers.IntegerField(help_text="0 until a behaviour is stored.")
    problem = serializers.CharField(
        allow_null=True,
        help_text="Why the stored behaviour is not in effect (a message it names was renamed "
        "or deleted): the default one is, until it is fixed. Null when it is.",
    )
    spec = serializers.JSONField(help_text="The behaviour in effect. " + SPEC_HELP)


class MockBehaviourInSerializer(VersionedInput):
    spec = serializers.JSONField(help_text=SPEC_HELP)


class MockConnectionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    client = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_code = serializers.IntegerField(allow_null=True)
    close_reason = serializers.CharField()
    frame_count = serializers.IntegerField(help_text="Frames so far; set when it closes.")


class MockFrameSerializer(serializers.Serializer[Any]):
    connection = serializers.IntegerField()
    seq = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=MockFrameDirection.choices)
    binary = serializers.BooleanField(help_text="A binary frame's body is Base64.")
    body = serializers.CharField()
    truncated = serializers.BooleanField()
    message = serializers.CharField(help_text="The documented message it is; empty: none.")
    note = serializers.CharField(help_text="What the mock did: reply, echo, ignored, dropped...")
    event = serializers.CharField(
        help_text="Socket.IO: the event the frame carries (an attachment's: its event's); "
        "empty otherwise."
    )
    at = serializers.DateTimeField()
