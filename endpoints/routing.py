"""WebSocket routes of the workspace, included by config.routing."""

from django.urls import path

from endpoints.consumers import ProjectConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/", ProjectConsumer.as_asgi()),
]
