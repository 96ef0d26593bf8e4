"""Shapes of a Socket.IO emit in the API (``POST /sessions/{id}/emit/``). The values are
checked by sessions.emitting, which names the field of each problem."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sessions.serializers import ProblemSerializer, SendSerializer, VariablesField


class EmitSerializer(serializers.Serializer):
    event = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=1000,
        help_text="The event name (not one Socket.IO clients keep: connect, disconnect...).",
    )
    args = serializers.JSONField(
        required=False,
        help_text='The arguments, a JSON array (one item per argument); {"$binary": "<base64>"} '
        "anywhere inside is sent as a binary attachment. Strings may hold {{variables}}.",
    )
    namespace = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="A connected namespace (default: the endpoint's).",
    )
    ack = serializers.BooleanField(
        required=False, default=False, help_text="Ask the server to acknowledge it."
    )
    ack_timeout = serializers.JSONField(
        required=False,
        help_text="Seconds to wait for the ack (default 10, at most 600); then an ack_timeout "
        "entry is logged.",
    )
    answer = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Acknowledge the server's event with this ack id, with args as the ack's "
        "arguments, instead of emitting an event.",
    )
    message_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Emit this documented event (its first example's arguments).",
    )
    example = serializers.CharField(
        required=False,
        max_length=200,
        help_text="With message_id: the name of the example to emit (default: the first).",
    )
    variables = VariablesField(
        required=False,
        help_text="Values for this one emit; they win over the session's own values.",
    )

    validate_variables = SendSerializer.validate_variables

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        attrs: dict[str, Any] = super().to_internal_value(data)
        if isinstance(data, dict) and "args" in data:
            attrs["args"] = data["args"]  # checked (and named) by sessions.emitting
        return attrs


class EmittedSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The log entry of the packet's text frame.")
    connection = serializers.IntegerField()
    ack_id = serializers.IntegerField(
        allow_null=True, help_text="The ack id the server answers with (null without ack)."
    )
    frames = serializers.IntegerField(help_text="Frames sent: the packet and its attachments.")
    timestamp = serializers.DateTimeField()
    message = serializers.CharField(allow_null=True)
    contract = serializers.CharField(allow_blank=True)
    problems = ProblemSerializer(many=True, allow_null=True)
    warning = serializers.CharField(
        required=False, help_text="Present when the event was emitted although it is invalid."
    )
