"""An AsyncAPI 3.0.0 document from ``ExportFacts``: pure, deterministic (the same facts give the
same document, key order included), and written so that endpoints.asyncapi.reading reads every
part of it back (docs/asyncapi.md has the mapping).

The document describes the server, as AsyncAPI documents of WebSocket APIs do: a message the
client *sends* is an operation the server ``receive``s, and the reverse.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from endpoints.asyncapi.addresses import (
    BASE_URL_REFERENCE,
    braced_names,
    from_braces,
    key_of,
    pointer_segment,
    split_absolute,
    to_braces,
    unique_key,
)
from endpoints.asyncapi.auth_schemes import scheme_of
from endpoints.asyncapi.facts import (
    CONTENT_TYPES,
    EndpointFacts,
    ExportFacts,
    MessageFacts,
    ServerFacts,
)
from endpoints.asyncapi.socketio import (
    PROTOCOL,
    SCHEME,
    SETTINGS,
    ack_message,
    channel_settings,
    socketio_origin,
)
from endpoints.environments.resolver import static_text

ASYNCAPI_VERSION = "3.0.0"
WS_BINDING_VERSION = "0.1.0"
DOCUMENT_VERSION = "1.0.0"
X = "x-switchboard-"
# The action of the operation that documents a message of each direction (the server's view).
ACTIONS = {"send": "receive", "receive": "send"}


def example_text(value: Any) -> str:
    """The body an example's JSON ``payload`` is stored as on import (and compared on export)."""
    return json.dumps(value, ensure_ascii=False)


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(pointer_segment(part) for part in parts)}


def _server(protocol: str, host: str, path: str, title: str, values: dict[str, str]) -> dict:
    braced_host, host_names = to_braces(host)
    pathname, path_names = to_braces(path)
    server: dict[str, Any] = {"host": braced_host, "protocol": protocol}
    if pathname:
        server["pathname"] = pathname
    if title:
        server["title"] = title
    names = list(dict.fromkeys([*host_names, *path_names]))
    if names:
        # A secret has no shared value here: its {{name}} stays, without a default.
        server["variables"] = {
            name: ({"default": values[name]} if name in values else {}) for name in names
        }
    return server


class _Servers:
    """The document's servers: one per environment with a base URL, then one per distinct
    ws:// or wss:// origin of an endpoint URL that does not start with {{baseUrl}}."""

    def __init__(self, environments: list[ServerFacts], values: dict[str, str]) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.taken: set[str] = set()
        self.environment_keys: list[str] = []
        self.origins: dict[tuple[str, str], str] = {}
        self.values = values
        for environment in environments:
            origin = split_absolute(environment.base_url)
            if origin is None:
                continue  # a base URL that is not ws(s)://host/path has no AsyncAPI server
            key = unique_key(key_of(environment.name, "server"), self.taken)
            self.items[key] = _server(
                origin.protocol, origin.host, origin.path, environment.name, environment.values
            )
            self.environment_keys.append(key)

    def origin_key(self, protocol: str, host: str) -> str:
        found = self.origins.get((protocol, host))
        if found is None:
            found = unique_key(key_of(host, "server"), self.taken)
            self.origins[(protocol, host)] = found
            self.items[found] = {
                **_server(protocol, host, "", "", self.values),
                f"{X}from-url": True,
            }
        return found

    def socketio_key(self, scheme: str, host: str) -> str:
        """The server of a Socket.IO endpoint's own URL: protocol socketio, its scheme kept."""
        found = self.origins.get((f"{PROTOCOL}+{scheme}", host))
        if found is None:
            found = unique_key(key_of(host, "server"), self.taken)
            self.origins[(f"{PROTOCOL}+{scheme}", host)] = found
            self.items[found] = {
                **_server(PROTOCOL, host, "", "", self.values),
                SCHEME: scheme,
                f"{X}from-url": True,
            }
        return found


def _rows_schema(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Handshake rows as the ws binding's ``query`` / ``headers`` schema: one string property
    per row, its value as the default; rows the properties cannot hold (a name used twice, an
    empty name) are all kept in ``x-switchboard-rows``."""
    properties: dict[str, Any] = {}
    for row in rows:
        item: dict[str, Any] = {"type": "string"}
        if row.get("description"):
            item["description"] = row["description"]
        if row.get("value"):
            item["default"] = row["value"]
        if not row.get("enabled", True):
            item[f"{X}enabled"] = False
        properties.setdefault(row.get("name", ""), item)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    names = [row.get("name", "") for row in rows]
    if len(set(names)) != len(names) or "" in names:
        schema[f"{X}rows"] = rows
    return schema


def _examples(
    message: MessageFacts,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Standard ``examples`` (payload values); the examples that cannot be a payload (JSON
    that holds {{references}}) with their place in the list, for ``x-switchboard-examples``;
    and the text of JSON examples written otherwise than their payload reads back
    (spacing, key order), by place, for ``x-switchboard-example-bodies``. (The Message
    Example Object takes no extensions, so these live on the message.)"""
    shown: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    for index, example in enumerate(message.examples):
        body = example.get("body", "")
        name = example.get("name", "")
        if message.format != "json":
            shown.append({"name": name, "payload": body})
            continue
        try:
            # Text with {{references}} or escapes is a template, not the payload it sends.
            if static_text(body) != body:
                raise ValueError(body)
            value = json.loads(body)
        except (ValueError, RecursionError):
            kept.append({"index": index, "name": name, "body": body})
            continue
        shown.append({"name": name, "payload": value})
        if example_text(value) != body:
            bodies.append({"index": index, "body": body})
    return shown, kept, bodies


def _message(message: MessageFacts) -> dict[str, Any]:
    out: dict[str, Any] = {"name": message.name, "contentType": CONTENT_TYPES[message.format]}
    if message.event:
        # A Socket.IO event: the message's name is the event's, its title the Switchboard name.
        out["name"] = message.event
        if message.name != message.event:
            out["title"] = message.name
    if message.format in ("base64", "hex"):
        out[f"{X}format"] = message.format
    if message.description:
        out["description"] = message.description
    if message.schema is not None:
        out["payload"] = message.schema
    shown, kept, bodies = _examples(message)
    if shown:
        out["examples"] = shown
    if kept:
        out[f"{X}examples"] = kept
    if bodies:
        out[f"{X}example-bodies"] = bodies
    if message.match and message.match.get("kind", "any") != "any":
        out[f"{X}match"] = message.match
    return out


def _socketio_address(endpoint: EndpointFacts, servers: _Servers) -> tuple[str, list[str], str]:
    """A Socket.IO channel's address is the namespace; its server, the URL's scheme and host."""
    namespace = endpoint.socketio["namespace"]
    if endpoint.url.startswith(BASE_URL_REFERENCE):
        return namespace, list(servers.environment_keys), BASE_URL_REFERENCE
    origin = socketio_origin(endpoint.url)
    if origin is None:
        return namespace, [], BASE_URL_REFERENCE
    return (
        namespace,
        [servers.socketio_key(origin.scheme, origin.host)],
        (f"{origin.scheme}://{origin.host}"),
    )


def _address(endpoint: EndpointFacts, servers: _Servers) -> tuple[str, list[str], str]:
    """The channel's address, its servers, and the URL an import makes of the two."""
    if endpoint.protocol == PROTOCOL:
        return _socketio_address(endpoint, servers)
    if endpoint.url.startswith(BASE_URL_REFERENCE):
        source = endpoint.url[len(BASE_URL_REFERENCE) :]
        keys = list(servers.environment_keys)
        prefix = BASE_URL_REFERENCE
    else:
        origin = split_absolute(endpoint.url)
        if origin is not None:
            source = origin.path
            keys = [servers.origin_key(origin.protocol, origin.host)]
            prefix = f"{origin.protocol}://{origin.host}"
        else:
            source, keys, prefix = endpoint.url, [], BASE_URL_REFERENCE
    source = source.split("?", 1)[0].split("#", 1)[0]
    address, _ = to_braces(source)
    return address, keys, prefix + from_braces(address)


def _channel(endpoint: EndpointFacts, key: str, servers: _Servers) -> dict[str, Any]:
    address, server_keys, rebuilt = _address(endpoint, servers)
    channel: dict[str, Any] = {"address": address, "title": endpoint.name}
    if endpoint.description:
        channel["description"] = endpoint.description
    if server_keys:
        channel["servers"] = [_ref("servers", server) for server in server_keys]
    parameters = braced_names(address)
    if parameters:
        channel["parameters"] = {name: {} for name in parameters}
    if endpoint.tags:
        channel["tags"] = [{"name": tag} for tag in endpoint.tags]
    binding: dict[str, Any] = {}
    if endpoint.params:
        binding["query"] = _rows_schema(endpoint.params)
    if endpoint.headers:
        binding["headers"] = _rows_schema(endpoint.headers)
    if binding:
        channel["bindings"] = {"ws": {**binding, "bindingVersion": WS_BINDING_VERSION}}
    if endpoint.protocol == PROTOCOL:
        channel[SETTINGS] = channel_settings(endpoint.socketio)
    extensions: dict[str, Any] = {
        "status": endpoint.status,
        "responsible": endpoint.assignee,
        "cookies": endpoint.cookies,
        "subprotocols": endpoint.subprotocols,
        "settings": endpoint.settings,
        "strict": endpoint.strict or None,
        "folder": endpoint.folder_path,
        "url": endpoint.url if rebuilt != endpoint.url else None,
    }
    for name, value in extensions.items():
        if value:
            channel[f"{X}{name}"] = value
    return channel


def _usable_key(wanted: str, taken: set[str], fallback: str) -> str:
    key = wanted if wanted and key_of(wanted) == wanted else key_of(fallback)
    return unique_key(key, taken)


def build_document(facts: ExportFacts) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of ``facts``."""
    info: dict[str, Any] = {"title": facts.title or "Switchboard", "version": DOCUMENT_VERSION}
    if facts.description:
        info["description"] = facts.description
    servers = _Servers(facts.servers, facts.values)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    channel_keys: set[str] = set()
    operation_keys: set[str] = set()
    for endpoint in facts.endpoints:
        key = _usable_key(endpoint.channel_id, channel_keys, endpoint.name)
        channel = _channel(endpoint, key, servers)
        message_keys: dict[str, str] = {}
        taken: set[str] = set()
        messages: dict[str, Any] = {}
        acks: dict[str, str] = {}
        for message in endpoint.messages:
            message_key = unique_key(key_of(message.name, "message"), taken)
            message_keys[message.name] = message_key
            messages[message_key] = _message(message)
        for message in endpoint.messages:
            if message.event and message.ack_schema is not None:
                ack_key = unique_key(f"{message_keys[message.name]}.ack", taken)
                acks[message.name] = ack_key
                messages[ack_key] = ack_message(message.event, message.ack_schema)
        if messages:
            channel["messages"] = messages
        security: list[dict[str, str]] = []
        scheme = scheme_of(endpoint.auth)
        if scheme is not None:
            scheme_key, security_schemes[scheme_key] = scheme
            security = [_ref("components", "securitySchemes", scheme_key)]
            # Also where the channel has no operation to require it.
            channel[f"{X}auth"] = scheme_key
        channels[key] = channel
        sends = {m.name for m in endpoint.messages if m.direction == "send"}
        replies: dict[str, list[str]] = {}
        for message in endpoint.messages:
            if message.direction == "receive" and message.reply_to in sends:
                replies.setdefault(message.reply_to, []).append(message_keys[message.name])
        for message in endpoint.messages:
            if message.direction == "receive" and message.reply_to in sends:
                continue  # documented as the reply of the operation of its request
            message_key = message_keys[message.name]
            operation_key = _usable_key(
                message.operation_id, operation_keys, f"{key}.{message_key}"
            )
            operation: dict[str, Any] = {
                "action": ACTIONS[message.direction],
                "channel": _ref("channels", key),
                "messages": [_ref("channels", key, "messages", message_key)],
            }
            if security:
                operation["security"] = security
            # The acknowledgement of a Socket.IO event first, then the messages that answer it.
            answers = [acks[message.name]] if message.name in acks else []
            answers += replies.get(message.name, [])
            if answers:
                operation["reply"] = {
                    "channel": _ref("channels", key),
                    "messages": [_ref("channels", key, "messages", item) for item in answers],
                }
            operations[operation_key] = operation
    document: dict[str, Any] = {"asyncapi": ASYNCAPI_VERSION, "info": info}
    if servers.items:
        document["servers"] = servers.items
    document["channels"] = channels
    document["operations"] = operations
    if facts.schemas:
        schemas: dict[str, Any] = {}
        for name, (schema, description) in facts.schemas.items():
            schemas[name] = (
                {**schema, f"{X}description": description}
                if description and isinstance(schema, dict)
                else schema
            )
        document["components"] = {"schemas": schemas}
    if security_schemes:
        document.setdefault("components", {})["securitySchemes"] = {
            key: security_schemes[key] for key in sorted(security_schemes)
        }
    return document


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The safe dumper (LibYAML's when present: ~20x faster on a large project), writing a
    value used twice twice: no anchors and aliases, which some tools read badly and an import
    here bounds."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def as_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


SYNTAXES = ("yaml", "json")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def document_text(document: dict[str, Any], syntax: str) -> tuple[str, str]:
    """The document written in ``syntax`` (yaml or json), and its media type."""
    if syntax == "json":
        return as_json(document), "application/json"
    return as_yaml(document), "application/yaml"


def file_name(name: str, syntax: str) -> str:
    """A download name for the document of ``name`` (a project or folder name)."""
    stem = _FILENAME_UNSAFE.sub("-", name).strip("-") or "switchboard"
    return f"{stem}-asyncapi.{syntax}"
