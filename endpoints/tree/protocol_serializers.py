"""Schema shapes of an endpoint's protocol: WebSocket, or Socket.IO with its settings.

The values are checked by endpoints.handshake (``protocol_problem``, ``clean_socketio``);
these fields describe them in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from endpoints.models import Protocol

PROTOCOL_HELP = (
    "websocket (default), or socketio: Socket.IO over its WebSocket transport, configured by "
    "`socketio`. A Socket.IO URL may be http(s):// or ws(s)://."
)


class SocketIOSettingsSerializer(serializers.Serializer):
    version = serializers.ChoiceField(
        choices=["v4", "v2"],
        help_text="The server's major version: v4 for Socket.IO 3 and 4 (Engine.IO 4), "
        "v2 for Socket.IO 2 (Engine.IO 3). Default v4.",
    )
    path = serializers.CharField(help_text="The Engine.IO path (default /socket.io/).")
    namespace = serializers.CharField(
        help_text="The namespace connected on open, starting with '/' (default /)."
    )
    auth = serializers.CharField(
        allow_blank=True,
        help_text="v4 only: the CONNECT auth payload, a JSON object as text that may hold "
        '{{variables}}, e.g. {"token": "{{token}}"}; empty for none.',
    )


class SocketIOSettingsInSerializer(SocketIOSettingsSerializer):
    """Any subset of the Socket.IO settings; the rest keep their current (or default) values."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


def protocol_field(*, required: bool) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Protocol.choices, required=required, help_text=PROTOCOL_HELP
    )
