"""ASGI entry point: Django for HTTP, Channels consumers for /ws/."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from accounts.ws_auth import WebSocketAuthStack  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from config.ws_backpressure import WebSocketBackpressure  # noqa: E402
from config.ws_close_codes import WebSocketCloseCodes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Outermost: they need Daphne's own send (the close codes one passes it on unchanged).
        "websocket": WebSocketCloseCodes(
            WebSocketBackpressure(WebSocketAuthStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
