"""WebSocket routes of mocks, served outside the login stack (config/asgi.py)."""

from django.urls import re_path

from mocks.consumers import MockConsumer

websocket_urlpatterns = [
    re_path(r"^mock/(?P<key>[A-Za-z0-9_-]+)(?P<path>/.*)?$", MockConsumer.as_asgi()),
]
