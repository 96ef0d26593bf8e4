"""WebSocket routes of mocks: the mocks themselves, served outside the login stack
(config/asgi.py), and the members' live view of their traffic (config/routing.py)."""

from django.urls import path, re_path

from mocks.consumers import MockConsumer
from mocks.traffic import MockTrafficConsumer

# Everything under /mock/ reaches the consumer, a missing or malformed key too: it answers 404
# like for an unknown key (no route would be a server error).
mock_urlpatterns = [
    re_path(r"^mock/(?P<key>[^/]*)(?P<path>/.*)?$", MockConsumer.as_asgi()),
]

websocket_urlpatterns = [
    path(
        "ws/projects/<int:project_id>/endpoints/<int:endpoint_id>/mock/",
        MockTrafficConsumer.as_asgi(),
    ),
]
