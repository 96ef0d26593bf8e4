"""WebSocket URL roots; each app contributes its own routes."""

websocket_urlpatterns: list = []
