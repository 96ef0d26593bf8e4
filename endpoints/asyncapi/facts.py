"""What an AsyncAPI export is built from: plain values read once from the database
(endpoints.asyncapi.selectors), so that building the document stays a pure function."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# AsyncAPI names of Switchboard's message formats, and back. Base64 and hex bodies are bytes
# on the wire; x-switchboard-format tells them apart.
CONTENT_TYPES: dict[str, str] = {
    "json": "application/json",
    "text": "text/plain",
    "xml": "application/xml",
    "html": "text/html",
    "base64": "application/octet-stream",
    "hex": "application/octet-stream",
}
FORMATS_BY_CONTENT_TYPE: dict[str, str] = {
    "application/json": "json",
    "text/json": "json",
    "text/plain": "text",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
    "application/octet-stream": "base64",
}


@dataclass(frozen=True)
class ServerFacts:
    """An environment with a base URL, and the shared, non-secret values its variables have."""

    name: str
    base_url: str
    values: dict[str, str]


@dataclass(frozen=True)
class MessageFacts:
    name: str
    direction: str
    format: str
    description: str
    schema: Any
    examples: list[dict[str, Any]]
    reply_to: str
    match: dict[str, Any]
    operation_id: str = ""
    # A Socket.IO endpoint's message: its event, and its acknowledgement's arguments schema.
    event: str = ""
    ack_schema: Any = None


@dataclass(frozen=True)
class EndpointFacts:
    name: str
    url: str
    params: list[dict[str, Any]]
    headers: list[dict[str, Any]]
    cookies: list[dict[str, Any]]
    subprotocols: list[str]
    settings: dict[str, Any]
    status: str
    assignee: str | None
    tags: list[str]
    description: str
    strict: bool
    folder_path: list[str]
    channel_id: str = ""
    messages: list[MessageFacts] = field(default_factory=list)
    # The effective Auth tab (endpoints.auth.effective_auth), credentials included: only its
    # scheme is exported.
    auth: dict[str, Any] = field(default_factory=dict)
    protocol: str = "websocket"
    # Socket.IO settings with every default (endpoints.handshake.clean_socketio).
    socketio: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportFacts:
    """One export: the project's title and description, its environments, the endpoints in
    scope in tree order, and the project schemas they need."""

    title: str
    description: str
    servers: list[ServerFacts]
    endpoints: list[EndpointFacts]
    schemas: dict[str, tuple[Any, str]]  # name -> (schema, description)
    # Shared, non-secret global values: defaults of variables in URLs outside environments.
    values: dict[str, str] = field(default_factory=dict)
