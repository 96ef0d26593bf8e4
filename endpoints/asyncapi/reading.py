"""A valid AsyncAPI 3.0 document as what an import makes of it: environments from servers,
endpoints from channels, documented messages from messages and operations, project schemas
from components. Pure. What has no place in Switchboard is listed in ``notes`` with where it
is, never dropped silently. (2.6 documents are first rewritten as 3.0: endpoints.asyncapi.v2.)

The document is read from the server's side, as export.py writes it: an operation the server
``receive``s documents a message the client sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from endpoints.asyncapi.addresses import BASE_URL_REFERENCE, from_braces, pointer_segment
from endpoints.asyncapi.auth_schemes import channel_auth, operation_auth
from endpoints.asyncapi.export import X
from endpoints.asyncapi.facts import FORMATS_BY_CONTENT_TYPE
from endpoints.asyncapi.loading import DocumentError
from endpoints.asyncapi.message_reading import payload_schema, read_examples
from endpoints.asyncapi.security import security_rows
from endpoints.asyncapi.socketio import (
    ACK,
    DEFAULT_SCHEME,
    PROTOCOL,
    SCHEME,
    SCHEMES,
    SETTINGS,
    settings_of,
)
from endpoints.contracts.pointers import MISSING, pointer_parts, resolve
from endpoints.models import EndpointStatus

MAX_REF_HOPS = 32


@dataclass
class ServerSpec:
    key: str
    name: str
    base_url: str
    variables: dict[str, str]
    from_url: bool
    # Handshake rows its security requirements ask for (endpoints.asyncapi.security).
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    socketio: bool = False  # protocol socketio: its channels are Socket.IO endpoints


@dataclass
class MessageSpec:
    key: str
    data: dict[str, Any]  # as the endpoint API's ``messages`` items take it
    operation_id: str = ""
    named: bool = True  # the document names it (a Socket.IO reply that does not is an ack)


@dataclass
class EndpointSpec:
    key: str
    where: str
    data: dict[str, Any]  # as the endpoint API takes it, without folder and messages
    responsible: str | None
    folder_path: list[str]
    messages: list[MessageSpec] = field(default_factory=list)
    # A Socket.IO channel's acknowledgement messages (x-switchboard-ack): key -> payload.
    acks: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportModel:
    version: str
    servers: list[ServerSpec]
    schemas: dict[str, tuple[Any, str]]
    endpoints: list[EndpointSpec]
    notes: list[tuple[str, str]] = field(default_factory=list)


class _Reader:
    def __init__(self, document: dict[str, Any], version: str) -> None:
        self.document = document
        self.version = version
        self.notes: list[tuple[str, str]] = []

    def note(self, where: str, what: str) -> None:
        self.notes.append((where, what))

    def deref(self, value: Any, where: str) -> Any:
        hops = 0
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            try:
                found = resolve(self.document, pointer_parts(ref[1:]))
            except ValueError:
                found = MISSING
            if found is MISSING:
                raise DocumentError([(where, f"The reference {ref!r} points at nothing.")])
            hops += 1
            if hops > MAX_REF_HOPS:
                raise DocumentError([(where, f"References from {ref!r} go round in a circle.")])
            value = found
        return value

    def leftover(self, value: dict[str, Any], handled: set[str], where: str) -> None:
        for key in value:
            if key not in handled and not key.startswith(X) and key != "$ref":
                self.note(
                    f"{where}/{pointer_segment(key)}",
                    "Not imported: Switchboard has no place for it.",
                )

    # --- servers --------------------------------------------------------------------------

    def servers(self) -> list[ServerSpec]:
        found: list[ServerSpec] = []
        for key, raw in (self.document.get("servers") or {}).items():
            where = f"/servers/{pointer_segment(key)}"
            server = self.deref(raw, where)
            handled = {"host", "protocol", "pathname", "title", "variables", "security"}
            self.leftover(server, handled, where)
            protocol = str(server.get("protocol", "")).lower()
            socketio = protocol == PROTOCOL
            if socketio:
                # Its URL's scheme, which AsyncAPI has no field for.
                protocol = str(server.get(SCHEME) or DEFAULT_SCHEME).lower()
                if protocol not in SCHEMES:
                    self.note(f"{where}/{SCHEME}", f"Not a scheme of a Socket.IO URL: {protocol}.")
                    protocol = DEFAULT_SCHEME
            elif protocol not in ("ws", "wss"):
                self.note(where, f"Protocol {protocol!r} is not WebSocket: no environment made.")
                continue
            variables: dict[str, str] = {}
            for name, variable in (server.get("variables") or {}).items():
                at = f"{where}/variables/{pointer_segment(name)}"
                variable = self.deref(variable, at)
                self.leftover(variable, {"default"}, at)
                if "default" in variable:
                    variables[name] = str(variable["default"])
            host = from_braces(str(server.get("host", "")))
            pathname = from_braces(str(server.get("pathname") or ""))
            found.append(
                ServerSpec(
                    key=key,
                    name=str(server.get("title") or key)[:100],
                    base_url=f"{protocol}://{host}{pathname}",
                    variables=variables,
                    from_url=server.get(f"{X}from-url") is True,
                    rows=security_rows(
                        self.document, server.get("security"), where, self.deref, self.note
                    ),
                    socketio=socketio,
                )
            )
        return found

    # --- channels and their messages ------------------------------------------------------

    def rows(self, schema: Any, where: str) -> list[dict[str, Any]]:
        schema = self.deref(schema, where)
        if not isinstance(schema, dict):
            return []
        if isinstance(schema.get(f"{X}rows"), list):
            return list(schema[f"{X}rows"])
        rows = []
        for name, item in (schema.get("properties") or {}).items():
            item = self.deref(item, f"{where}/properties/{pointer_segment(name)}")
            value: Any = item.get("default", "")
            if value == "" and isinstance(item.get("examples"), list) and item["examples"]:
                value = item["examples"][0]
            if value == "" and "const" in item:
                value = item["const"]
            rows.append(
                {
                    "name": name,
                    "value": value if isinstance(value, str) else json.dumps(value),
                    "enabled": item.get(f"{X}enabled", True) is not False,
                    "description": str(item.get("description", "")),
                }
            )
        return rows

    def listed_servers(self, channel: dict[str, Any]) -> list[str]:
        """Keys of the servers a channel names (none: it is on every server)."""
        listed = []
        for item in channel.get("servers") or []:
            ref = item.get("$ref", "") if isinstance(item, dict) else ""
            if ref.startswith("#/servers/"):
                listed.append(pointer_parts(ref[1:])[-1])
        return listed

    def url(
        self, channel: dict[str, Any], where: str, servers: dict[str, ServerSpec], socketio: bool
    ) -> str:
        if isinstance(channel.get(f"{X}url"), str):
            return channel[f"{X}url"]
        address = channel.get("address")
        if address is None:
            self.note(f"{where}/address", "No address (a dynamic channel): the URL is {{baseUrl}}.")
            address = ""
        if socketio:
            address = ""  # the namespace: a Socket.IO setting, not part of the URL
        listed = self.listed_servers(channel)
        if len(listed) == 1 and listed[0] in servers and servers[listed[0]].from_url:
            return servers[listed[0]].base_url + from_braces(str(address))
        return BASE_URL_REFERENCE + from_braces(str(address))

    def message(self, key: str, raw: Any, where: str, events: bool = False) -> MessageSpec:
        message = self.deref(raw, where)
        handled = {"name", "contentType", "description", "summary", "payload", "examples", "title"}
        self.leftover(message, handled, where)
        content_type = (
            str(message.get("contentType") or self.document.get("defaultContentType") or "")
            .split(";")[0]
            .strip()
            .lower()
        )
        wanted = message.get(f"{X}format")
        if wanted in ("base64", "hex", "json", "text", "xml", "html"):
            message_format = str(wanted)
        elif content_type in FORMATS_BY_CONTENT_TYPE:
            message_format = FORMATS_BY_CONTENT_TYPE[content_type]
        elif content_type.endswith("+json"):
            message_format = "json"
        else:
            message_format = "json" if not content_type else "text"
            if content_type:
                self.note(f"{where}/contentType", f"{content_type!r} is imported as text.")
        schema = payload_schema(
            message.get("payload"), f"{where}/payload", message_format, self.note
        )
        data: dict[str, Any] = {
            "name": str(message.get("name") or key)[:200],
            "format": message_format,
            "description": str(message.get("description") or message.get("summary") or ""),
            "schema": schema,
            "examples": read_examples(
                message,
                where,
                message_format,
                schema,
                self.document,
                self.deref,
                self.note,
                self.leftover,
            ),
        }
        if isinstance(message.get(f"{X}match"), dict):
            data["match"] = message[f"{X}match"]
        if events:
            # A Socket.IO event is the message's name; its title, the Switchboard name.
            data["event"] = data["name"]
            data["name"] = str(message.get("title") or data["name"])[:200]
        return MessageSpec(key=key, data=data, named=bool(message.get("name")))

    def channel(
        self, key: str, raw: Any, servers: dict[str, ServerSpec]
    ) -> tuple[EndpointSpec, dict[str, MessageSpec], dict[int, str]]:
        where = f"/channels/{pointer_segment(key)}"
        channel = self.deref(raw, where)
        handled = {"address", "title", "description", "servers", "parameters", "tags"}
        handled |= {"messages", "bindings", "summary"}
        self.leftover(channel, handled, where)
        bindings = self.deref(channel.get("bindings") or {}, f"{where}/bindings")
        ws = self.deref(bindings.get("ws") or {}, f"{where}/bindings/ws")
        for other in bindings:
            if other != "ws":
                self.note(
                    f"{where}/bindings/{pointer_segment(other)}",
                    "Not a WebSocket binding: not imported.",
                )
        self.leftover(ws, {"query", "headers", "bindingVersion"}, f"{where}/bindings/ws")
        status = channel.get(f"{X}status", EndpointStatus.DEVELOPING)
        if status not in EndpointStatus.values:
            self.note(f"{where}/{X}status", f"Unknown status {status!r}: developing.")
            status = EndpointStatus.DEVELOPING
        tags = []
        for index, tag in enumerate(channel.get("tags") or []):
            tag = self.deref(tag, f"{where}/tags/{index}")
            if isinstance(tag.get("name"), str):
                tags.append(tag["name"][:64])
        listed = self.listed_servers(channel) or list(servers)
        socketio = SETTINGS in channel or any(
            servers[name].socketio for name in listed if name in servers
        )
        data: dict[str, Any] = {
            "name": str(channel.get("title") or key)[:200],
            "url": self.url(channel, where, servers, socketio),
            "description": str(channel.get("description") or channel.get("summary") or ""),
            "params": self.rows(ws.get("query"), f"{where}/bindings/ws/query"),
            "headers": self.rows(ws.get("headers"), f"{where}/bindings/ws/headers"),
            "cookies": channel.get(f"{X}cookies") or [],
            "subprotocols": channel.get(f"{X}subprotocols") or [],
            "settings": channel.get(f"{X}settings") or {},
            "status": status,
            "strict": channel.get(f"{X}strict") is True,
            "tags": tags,
        }
        if socketio:
            data["protocol"] = PROTOCOL
            data["socketio"] = settings_of(channel.get(SETTINGS), channel.get("address"))
        for server_key in listed:
            for handshake_field, rows in getattr(servers.get(server_key), "rows", {}).items():
                data[handshake_field] = list(data[handshake_field])
                present = {row.get("name") for row in data[handshake_field]}
                data[handshake_field] += [row for row in rows if row["name"] not in present]
        if f"{X}auth" in channel:
            auth = channel_auth(
                self.document, channel[f"{X}auth"], f"{where}/{X}auth", self.deref, self.note
            )
            if auth is not None:
                data["auth"] = auth
        folder = channel.get(f"{X}folder") or []
        spec = EndpointSpec(
            key=key,
            where=where,
            data=data,
            responsible=channel.get(f"{X}responsible") or None,
            folder_path=[str(name)[:200] for name in folder if isinstance(name, str)],
        )
        messages: dict[str, MessageSpec] = {}
        identities: dict[int, str] = {}
        names: set[str] = set()
        for message_key, raw_message in (channel.get("messages") or {}).items():
            at = f"{where}/messages/{pointer_segment(message_key)}"
            target = self.deref(raw_message, at)
            if socketio and isinstance(target, dict) and target.get(ACK) is True:
                spec.acks[message_key] = target.get("payload")
                identities[id(target)] = message_key
                continue
            message = self.message(message_key, raw_message, at, events=socketio)
            if message.data["name"] in names:
                # Names are unique in an endpoint; the channel's keys are unique too.
                self.note(
                    at, f"Another message is named {message.data['name']!r}: named {message_key!r}."
                )
                message.data["name"] = message_key[:200]
            names.add(message.data["name"])
            messages[message_key] = message
            identities[id(self.deref(raw_message, at))] = message_key
        return spec, messages, identities

    # --- operations -----------------------------------------------------------------------

    def _message_keys(
        self, refs: Any, channel_key: str, identities: dict[int, str], where: str
    ) -> list[str]:
        keys = []
        for index, ref in enumerate(refs or []):
            at = f"{where}/{index}"
            target = self.deref(ref, at)
            key = identities.get(id(target))
            if key is None:
                raise DocumentError(
                    [(at, f"The message is not one of channel {channel_key!r}'s messages.")]
                )
            keys.append(key)
        return keys

    def read(self) -> ImportModel:
        servers = self.servers()
        by_key = {server.key: server for server in servers}
        channels: dict[str, tuple[EndpointSpec, dict[str, MessageSpec], dict[int, str]]] = {}
        channel_ids: dict[int, str] = {}
        for key, raw in (self.document.get("channels") or {}).items():
            channels[key] = self.channel(key, raw, by_key)
            channel_ids[id(self.deref(raw, f"/channels/{pointer_segment(key)}"))] = key
        directions: dict[tuple[str, str], str] = {}
        replies: dict[tuple[str, str], str] = {}
        for op_key, raw in (self.document.get("operations") or {}).items():
            where = f"/operations/{pointer_segment(op_key)}"
            operation = self.deref(raw, where)
            self.leftover(
                operation,
                {"action", "channel", "messages", "reply", "title", "summary", "security"},
                where,
            )
            channel_key = channel_ids.get(
                id(self.deref(operation.get("channel"), f"{where}/channel"))
            )
            if channel_key is None:
                raise DocumentError([(f"{where}/channel", "Not a channel of this document.")])
            spec, messages, identities = channels[channel_key]
            if operation.get("security") and "auth" not in spec.data:
                auth = operation_auth(
                    operation["security"], f"{where}/security", self.deref, self.note
                )
                if auth is not None:
                    spec.data["auth"] = auth
            direction = "send" if operation.get("action") == "receive" else "receive"
            keys = (
                self._message_keys(
                    operation["messages"], channel_key, identities, f"{where}/messages"
                )
                if "messages" in operation
                else list(messages)
            )
            for key in keys:
                if (channel_key, key) in directions:
                    self.note(
                        where, f"Message {key!r} is in another operation already; kept there."
                    )
                    continue
                directions[(channel_key, key)] = direction
                messages[key].operation_id = op_key
            reply = self.deref(operation.get("reply"), f"{where}/reply")
            if not reply:
                continue
            reply_where = f"{where}/reply"
            self.leftover(reply, {"channel", "messages"}, reply_where)
            reply_channel = reply.get("channel")
            if (
                reply_channel is not None
                and channel_ids.get(id(self.deref(reply_channel, f"{reply_where}/channel")))
                != channel_key
            ):
                self.note(reply_where, "A reply on another channel is not imported.")
                continue
            reply_keys = self._message_keys(
                reply.get("messages"), channel_key, identities, f"{reply_where}/messages"
            )
            if spec.data.get("protocol") == PROTOCOL and keys:
                reply_keys = [key for key in reply_keys if not self.ack(spec, messages, key, keys)]
            if reply_keys and (direction != "send" or not keys):
                self.note(reply_where, "Only replies to what the client sends are imported.")
                continue
            for key in reply_keys:
                replies[(channel_key, key)] = messages[keys[0]].data["name"]
        endpoints = []
        for channel_key, (spec, messages, _) in channels.items():
            for key, message in messages.items():
                if (channel_key, key) in replies:
                    message.data["direction"] = "receive"
                    message.data["reply_to"] = replies[(channel_key, key)]
                    if (channel_key, key) in directions and message.operation_id:
                        self.note(
                            f"{spec.where}/messages/{pointer_segment(key)}",
                            "Both a reply and in an operation of its own: kept as the reply.",
                        )
                        message.operation_id = ""
                    continue
                if (channel_key, key) not in directions:
                    self.note(
                        f"{spec.where}/messages/{pointer_segment(key)}",
                        "In no operation: imported as a message the server sends.",
                    )
                message.data["direction"] = directions.get((channel_key, key), "receive")
            spec.messages = list(messages.values())
            endpoints.append(spec)
        return ImportModel(self.version, servers, self.schemas(), endpoints, self.notes)

    def ack(
        self, spec: EndpointSpec, messages: dict[str, MessageSpec], key: str, keys: list[str]
    ) -> bool:
        """Whether reply ``key`` is the acknowledgement of a Socket.IO event (then it becomes
        the ack schema of the operation's first message, and no message of its own)."""
        if key in spec.acks:
            schema = spec.acks[key]
        elif key in messages and not messages[key].named:  # another tool's ack: no event
            schema = messages.pop(key).data.get("schema")
        else:
            return False
        messages[keys[0]].data["ack_schema"] = schema
        return True

    def schemas(self) -> dict[str, tuple[Any, str]]:
        components = self.document.get("components") or {}
        self.leftover(
            components,
            {"schemas", "messages", "parameters", "servers", "channels", "securitySchemes"},
            "/components",
        )
        found: dict[str, tuple[Any, str]] = {}
        for name, schema in (components.get("schemas") or {}).items():
            description = ""
            if isinstance(schema, dict) and f"{X}description" in schema:
                schema = dict(schema)
                description = str(schema.pop(f"{X}description"))
            found[name] = (schema, description)
        return found


def read_document(document: dict[str, Any], version: str) -> ImportModel:
    """What importing the valid 3.0 ``document`` makes; DocumentError for broken references."""
    reader = _Reader(document, version)
    reader.leftover(
        document,
        {
            "asyncapi",
            "info",
            "servers",
            "channels",
            "operations",
            "components",
            "defaultContentType",
            "id",
        },
        "",
    )
    return reader.read()
