"""WebSocket routes of debug sessions, included by config.routing."""

from django.urls import path

from sessions.consumers import EchoConsumer, SessionStreamConsumer

websocket_urlpatterns = [
    path("ws/sessions/<int:session_id>/", SessionStreamConsumer.as_asgi()),
    path("ws/echo/", EchoConsumer.as_asgi()),
]
