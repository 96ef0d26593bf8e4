"""ASGI entry point: Django for HTTP, Channels consumers for /ws/."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from accounts.ws_auth import WebSocketAuthStack  # noqa: E402
from config.forwarded_proto import ForwardedProto  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from config.ws_backpressure import WebSocketBackpressure  # noqa: E402
from config.ws_close_codes import WebSocketCloseCodes  # noqa: E402
from config.ws_denial import WebSocketDenialResponse  # noqa: E402
from config.ws_empty_messages import WebSocketEmptyMessages  # noqa: E402
from config.ws_mock import MockSocketRouter  # noqa: E402
from core.metrics import WebSocketGauge  # noqa: E402
from mocks.routing import mock_urlpatterns as mock_routes  # noqa: E402

# Outermost: the scheme of every connection is settled before anything reads it.
application = ForwardedProto(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # Outermost: they need Daphne's own send (the close codes and empty messages ones pass
            # it on unchanged). Mock sockets skip the login stack (config/ws_mock.py).
            "websocket": WebSocketCloseCodes(
                WebSocketEmptyMessages(
                    WebSocketDenialResponse(
                        MockSocketRouter(
                            WebSocketBackpressure(WebSocketGauge(URLRouter(mock_routes))),
                            WebSocketBackpressure(
                                WebSocketAuthStack(WebSocketGauge(URLRouter(websocket_urlpatterns)))
                            ),
                        )
                    )
                )
            ),
        }
    )
)
