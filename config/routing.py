"""WebSocket URL roots; each app contributes its own routes."""

from endpoints.routing import websocket_urlpatterns as endpoint_routes
from mocks.routing import websocket_urlpatterns as mock_traffic_routes
from sessions.routing import websocket_urlpatterns as session_routes

websocket_urlpatterns: list = [*endpoint_routes, *session_routes, *mock_traffic_routes]
