"""Shapes of an endpoint's documented messages in the API: ``message_data`` produces the JSON,
``MessageOutSerializer`` describes it for the schema, ``MessageInSerializer`` parses input
(checked further by endpoints.tree.messages)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from endpoints.contracts.examples import default_body
from endpoints.models import Message, MessageDirection, MessageFormat, match_any

EVENT_HELP = (
    "Socket.IO endpoints: the event this message is (default: the message's name); frames are "
    "recognised by it, and schema and examples describe its arguments array. Empty on "
    "WebSocket endpoints."
)
ACK_SCHEMA_HELP = (
    "Socket.IO endpoints: JSON Schema of the acknowledgement's arguments array; null when the "
    "event is not acknowledged."
)


def message_data(message: Message) -> dict[str, Any]:
    """A saved message; also takes a row with the same names (``selectors.EndpointRow``)."""
    examples = message.examples or []
    return {
        "id": message.id,
        "name": message.name,
        "direction": message.direction,
        "format": message.format,
        "description": message.description,
        "schema": message.schema,
        "examples": examples,
        "reply_to": message.reply_to,
        "match": message.match,
        "event": message.event,
        "ack_schema": message.ack_schema,
        # Scripts written before documented messages read the body of a saved message.
        "body": default_body(examples),
    }


class ExampleSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class MatchSerializer(serializers.Serializer):
    """How a frame is recognised as a message: every frame of its direction (any), a JSONPath or
    JSON Pointer finding a value (path), or a regular expression on the text (regex)."""

    kind = serializers.ChoiceField(choices=["any", "path", "regex"])
    path = serializers.CharField(
        required=False, help_text='For kind "path": a JSONPath ($.type) or JSON Pointer (/type).'
    )
    value = serializers.JSONField(
        required=False, help_text='For kind "path": the value expected there (else: present).'
    )
    pattern = serializers.CharField(
        required=False, help_text='For kind "regex": a regular expression searched in the text.'
    )


@extend_schema_field(MatchSerializer)
class MatchField(serializers.DictField):
    """A match rule, kept as written; endpoints.tree.messages checks it with the rest."""


class MessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    direction = serializers.ChoiceField(choices=MessageDirection.choices)
    format = serializers.ChoiceField(choices=MessageFormat.choices)
    description = serializers.CharField(allow_blank=True)
    schema = serializers.JSONField(allow_null=True, help_text="JSON Schema (draft 2020-12).")
    examples = ExampleSerializer(many=True)
    reply_to = serializers.CharField(
        allow_blank=True, help_text="The send message this receive message answers."
    )
    match = MatchField(help_text="How a frame is recognised as this message.")
    event = serializers.CharField(allow_blank=True, help_text=EVENT_HELP)
    ack_schema = serializers.JSONField(allow_null=True, help_text=ACK_SCHEMA_HELP)
    body = serializers.CharField(
        allow_blank=True,
        help_text="The first example's body (for scripts written before examples).",
    )


# One documented message as written, a legacy ``body`` kept as it is: examples are checked
# against the format the message has after the write (a PATCH item merged with the stored
# message) by endpoints.tree.messages, which names the field written (``messages[i].body`` or
# ``messages[i].examples[j].body``). (A comment, not a docstring: that would be in the schema.)
class MessageInSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, min_value=1)
    name = serializers.CharField(max_length=200)
    direction = serializers.ChoiceField(
        choices=MessageDirection.choices,
        default=MessageDirection.SEND,
        help_text="send: client to server; receive: server to client.",
    )
    format = serializers.ChoiceField(choices=MessageFormat.choices, default=MessageFormat.TEXT)
    description = serializers.CharField(allow_blank=True, max_length=100_000, default="")
    schema = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="JSON Schema (draft 2020-12) of a json message; "
        '{"$ref": "#/components/schemas/<name>"} refers to a project schema.',
    )
    examples = serializers.ListSerializer[Any](
        child=ExampleSerializer(),
        required=False,
        help_text="Named example bodies, names unique; the first is sent by default. "
        "Without it, body is the one example (named Example).",
    )
    body = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=1_000_000,
        default="",
        help_text="For scripts written before examples: one example named Example.",
    )
    reply_to = serializers.CharField(
        allow_blank=True,
        max_length=200,
        default="",
        help_text="On a receive message: the name of the send message it answers.",
    )
    match = MatchField(
        required=False,
        default=match_any,
        help_text="How a frame is recognised as this message.",
    )
    event = serializers.CharField(
        allow_blank=True, max_length=200, required=False, help_text=EVENT_HELP
    )
    ack_schema = serializers.JSONField(required=False, allow_null=True, help_text=ACK_SCHEMA_HELP)
