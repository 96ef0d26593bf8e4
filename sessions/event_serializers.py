"""Schema shapes of a session's log in the API: an entry, a page of them, the list's filters,
and one entry's detail with the contract's problems."""

from __future__ import annotations

from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    path = serializers.CharField(
        allow_blank=True, help_text="JSON Pointer into the payload (blank: the whole payload)."
    )
    reason = serializers.CharField()


class DocumentedMessageSerializer(serializers.Serializer):
    name = serializers.CharField()
    direction = serializers.CharField()
    format = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    schema = serializers.JSONField(allow_null=True)


class EventFilterSerializer(serializers.Serializer):
    """``GET …/events/?contract=``: entries with this contract check."""

    contract = serializers.ChoiceField(
        choices=["valid", "invalid", "undocumented"],
        required=False,
        help_text="Only entries with this contract check.",
    )
    event = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="Socket.IO: only entries of this event (emitted, received, and their acks).",
    )
    sio = serializers.ChoiceField(
        choices=["hide_heartbeats"],
        required=False,
        help_text="Socket.IO: hide_heartbeats leaves out Engine.IO pings and pongs.",
    )

    def validate_event(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("NUL characters are not allowed.")
        return value


class EventOutSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    connection = serializers.IntegerField()
    kind = serializers.CharField()
    direction = serializers.CharField(allow_blank=True, help_text="out (sent), in, or blank.")
    timestamp = serializers.DateTimeField()
    opcode = serializers.CharField(allow_blank=True, help_text="text, binary, or blank.")
    size = serializers.IntegerField(help_text="Full size in bytes, even when truncated.")
    truncated = serializers.BooleanField()
    text = serializers.CharField(allow_null=True)
    base64 = serializers.CharField(allow_null=True)
    info = serializers.DictField(allow_null=True)
    message = serializers.CharField(
        allow_null=True, help_text="The documented message this frame is, or null for none."
    )
    contract = serializers.ChoiceField(
        choices=["", "valid", "invalid", "undocumented"],
        help_text="The contract check: valid, invalid, undocumented, or blank when the session "
        "was not opened from an endpoint or the direction documents no message.",
    )
    problems = ProblemSerializer(
        many=True, allow_null=True, help_text="What is wrong with an invalid frame."
    )


class EventPageSerializer(serializers.Serializer):
    results = EventOutSerializer(many=True)
    has_more = serializers.BooleanField()
    next_after = serializers.IntegerField(allow_null=True)
    next = serializers.CharField(allow_null=True)


class EventDetailSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    connection = serializers.IntegerField()
    kind = serializers.CharField()
    direction = serializers.CharField(allow_blank=True)
    timestamp = serializers.DateTimeField()
    opcode = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField()
    truncated = serializers.BooleanField()
    info = serializers.DictField(allow_null=True)
    view = serializers.CharField(help_text="text, json, xml, html, hexdump or base64.")
    encoding = serializers.CharField(allow_null=True)
    content = serializers.CharField(allow_blank=True)
    problem = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True)
    contract = serializers.CharField(allow_blank=True)
    problems = ProblemSerializer(many=True, allow_null=True)
    documented = DocumentedMessageSerializer(
        allow_null=True,
        help_text="The documented message this entry is (of the session's endpoint), with its "
        "schema, to show the problems next to it; null for none.",
    )
