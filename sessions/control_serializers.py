"""Request and response bodies of pings and repeating messages (``sessions.control_api``)."""

from __future__ import annotations

from rest_framework import serializers

from sessions.control import PING_FORMATS
from sessions.serializers import SendSerializer


class PingSerializer(serializers.Serializer):
    payload = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=1024,
        help_text="At most 125 bytes once decoded; omitted: four random bytes.",
    )
    format = serializers.ChoiceField(
        choices=PING_FORMATS, required=False, help_text="How payload is written (default text)."
    )


class PingSentSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The ping's log entry; its pong follows in the log.")
    connection = serializers.IntegerField()
    size = serializers.IntegerField()


class TimerInSerializer(SendSerializer):
    interval_ms = serializers.IntegerField(
        help_text="Milliseconds between sends (at least SESSION_TIMER_MIN_INTERVAL_MS)."
    )
    count = serializers.IntegerField(
        required=False, allow_null=True, help_text="How many sends; null or omitted: until stopped."
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Shown in the list and log."
    )


class TimerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    interval_ms = serializers.IntegerField()
    count = serializers.IntegerField(allow_null=True)
    sent = serializers.IntegerField(help_text="Sends made so far.")
    started_at = serializers.DateTimeField()
    name = serializers.CharField(allow_blank=True)


class TimerListSerializer(serializers.Serializer):
    results = TimerSerializer(many=True)
