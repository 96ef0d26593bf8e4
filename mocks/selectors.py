"""Reads of the mock: what a mock URL serves (at each handshake), an endpoint's behaviour, and
its recent traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from core.errors import NotFound
from core.socketio.handshake import SocketIOVersion
from endpoints.handshake import clean_socketio
from endpoints.models import Endpoint, Message, ProjectSchema, Protocol, Variable
from mocks.engine.handshake import endpoint_path, socketio_mock_path
from mocks.engine.spec import MockSpecError, normalize_spec
from mocks.models import MockBehaviour, MockConnection, MockFrame, MockSettings

_MESSAGE_KEYS = (
    "name",
    "direction",
    "format",
    "schema",
    "match",
    "examples",
    "reply_to",
    "event",
    "ack_schema",
)
DEFAULT_SPEC: dict[str, Any] = {}


@dataclass(frozen=True)
class MockTarget:
    """Everything a mock connection needs, read once at its handshake."""

    project_id: int
    endpoint_id: int
    header_name: str
    header_value: str
    handshake: dict[str, Any]
    spec: dict[str, Any]
    messages: list[dict[str, Any]]
    schemas: dict[str, Any]
    values: dict[str, str]
    path: str = "/"  # the endpoint's path, under /mock/<key>
    protocol: str = "websocket"
    socketio: dict[str, Any] = field(default_factory=dict)

    @property
    def socketio_version(self) -> SocketIOVersion | None:
        """The Socket.IO version the mock speaks; None for a WebSocket endpoint."""
        if self.protocol != "socketio":
            return None
        return SocketIOVersion(self.socketio["version"])


def shared_values(project_id: int) -> dict[str, str]:
    """The project's global variables a mock may use: shared initial values, never secrets (a
    mock answers anyone who has its key)."""
    return dict(
        Variable.objects.filter(
            project_id=project_id, environment__isnull=True, secret=False
        ).values_list("name", "initial_value")
    )


def documented_messages(endpoint_id: int) -> list[dict[str, Any]]:
    return list(
        Message.objects.filter(endpoint_id=endpoint_id)
        .order_by("position", "id")
        .values(*_MESSAGE_KEYS)
    )


def effective_spec(
    stored: dict[str, Any] | None, messages: list[dict[str, Any]], *, socketio: bool = False
) -> tuple[dict[str, Any], str | None]:
    """The stored spec normalised, or the default one when there is none or it no longer fits
    the messages (one it names was renamed or deleted) or the protocol, with why it does not."""
    minimum = settings.MOCK_MIN_PUSH_INTERVAL_MS
    try:
        normal = normalize_spec(
            stored or DEFAULT_SPEC, messages, min_interval_ms=minimum, socketio=socketio
        )
        return normal, None
    except MockSpecError as exc:
        default = normalize_spec(DEFAULT_SPEC, messages, min_interval_ms=minimum, socketio=socketio)
        return default, str(exc)


def mock_path(endpoint: Any, values: dict[str, str]) -> str:
    """Where under ``/mock/<key>`` the endpoint's mock answers: its URL's path, followed by
    the Socket.IO path for a Socket.IO endpoint."""
    path = endpoint_path(endpoint["url"], values)
    if endpoint["protocol"] != Protocol.SOCKETIO:
        return path
    return socketio_mock_path(path, clean_socketio(None, base=endpoint["socketio"])["path"])


def mock_target(*, key: str, path: str) -> MockTarget | None:
    """What ``/mock/<key><path>`` serves, or None: no such key, mocking switched off, or no
    endpoint of the project has that path (the first by position when several do). A
    Socket.IO endpoint's path ends with its Socket.IO path (``/v1/socket.io``)."""
    mock = (
        MockSettings.objects.filter(key=key, enabled=True)
        .values("project_id", "header_name", "header_value")
        .first()
    )
    if mock is None:
        return None
    project_id = mock["project_id"]
    values = shared_values(project_id)
    wanted = "/" + path.strip("/")
    endpoint = None
    for row in (
        Endpoint.objects.filter(project_id=project_id)
        .order_by("folder_id", "position", "id")
        .values("pk", "url", "params", "headers", "cookies", "subprotocols", "protocol", "socketio")
    ):
        if mock_path(row, values).rstrip("/") == wanted.rstrip("/"):
            endpoint = row
            break
    if endpoint is None:
        return None
    messages = documented_messages(endpoint["pk"])
    socketio = endpoint["protocol"] == Protocol.SOCKETIO
    stored = MockBehaviour.objects.filter(endpoint_id=endpoint["pk"]).values_list("spec", flat=True)
    schemas = dict(
        ProjectSchema.objects.filter(project_id=project_id).values_list("name", "schema")
    )
    return MockTarget(
        project_id=project_id,
        endpoint_id=endpoint["pk"],
        header_name=mock["header_name"],
        header_value=mock["header_value"],
        handshake={
            "url": endpoint["url"],
            "params": endpoint["params"],
            "headers": endpoint["headers"],
            "cookies": endpoint["cookies"],
            "subprotocols": endpoint["subprotocols"],
        },
        spec=effective_spec(stored.first(), messages, socketio=socketio)[0],
        messages=messages,
        schemas=schemas,
        values=values,
        path=endpoint_path(endpoint["url"], values),
        protocol=endpoint["protocol"],
        socketio=clean_socketio(None, base=endpoint["socketio"]),
    )


def endpoint_of(*, project_id: int, endpoint_id: int) -> Endpoint:
    """The project's endpoint (one query, none of its relations: a mock view needs none)."""
    endpoint = Endpoint.objects.filter(project_id=project_id, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def mock_settings_of(*, project_id: int) -> MockSettings | None:
    return MockSettings.objects.filter(project_id=project_id).first()


@dataclass(frozen=True)
class Behaviour:
    spec: dict[str, Any]  # in effect
    version: int  # 0: none stored
    stored: bool
    problem: str | None  # why the stored one is not in effect (the default is)


def behaviour_of(*, endpoint: Endpoint) -> Behaviour:
    row = MockBehaviour.objects.filter(endpoint=endpoint).first()
    spec, problem = effective_spec(
        row.spec if row else None,
        documented_messages(endpoint.pk),
        socketio=endpoint.protocol == Protocol.SOCKETIO,
    )
    return Behaviour(spec, row.version if row else 0, row is not None, problem)


def recent_connections(*, endpoint: Endpoint) -> QuerySet[MockConnection]:
    return MockConnection.objects.filter(endpoint=endpoint).order_by("-id")[
        : settings.MOCK_LOG_CONNECTIONS
    ]


def connection_frames(*, connection: MockConnection, after: int = 0) -> QuerySet[MockFrame]:
    return MockFrame.objects.filter(connection=connection, seq__gt=after).order_by("seq")
