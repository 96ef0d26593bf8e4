"""An AsyncAPI 2.6 document rewritten as the 3.0 document that says the same, for the one
reader of endpoints.asyncapi.reading. Pure.

2.6 channels are keyed by address and hold ``publish`` (what others send to the application:
the client sends it, the server receives) and ``subscribe`` (the server sends) operations,
each with one message or ``oneOf`` several.
"""

from __future__ import annotations

from typing import Any

from endpoints.asyncapi.addresses import key_of, pointer_segment, unique_key
from endpoints.asyncapi.loading import DocumentError
from endpoints.contracts.pointers import MISSING, pointer_parts, resolve

_ACTIONS = {"publish": "receive", "subscribe": "send"}
# Read here; anything else of an operation goes on to the reader, which reports it.
_OPERATION_PARTS = {"operationId", "summary", "message"}


def _deref(document: dict[str, Any], value: Any, where: str) -> tuple[Any, str | None]:
    """The value a ``$ref`` points at (and the last key of the reference), else the value."""
    last = None
    for _ in range(32):
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            return value, last
        ref = value["$ref"]
        try:
            parts = pointer_parts(ref[1:])
            found = resolve(document, parts)
        except ValueError:
            found = MISSING
        if found is MISSING:
            raise DocumentError([(where, f"The reference {ref!r} points at nothing.")])
        value, last = found, (parts[-1] if parts else None)
    raise DocumentError([(where, "References go round in a circle.")])


def _server(server: dict[str, Any]) -> dict[str, Any]:
    url = str(server.get("url", ""))
    protocol = str(server.get("protocol", ""))
    if "://" in url:
        protocol, url = url.split("://", 1)
    host, slash, path = url.partition("/")
    out = {key: value for key, value in server.items() if key not in ("url", "protocolVersion")}
    out.update(host=host, protocol=protocol.lower())
    if slash and path:
        out["pathname"] = "/" + path
    return out


def as_v3(document: dict[str, Any]) -> dict[str, Any]:
    """The 3.0 form of a valid 2.6 ``document``; parts the reader reports stay in place."""
    converted: dict[str, Any] = {"asyncapi": "3.0.0", "info": document.get("info", {})}
    for key in ("defaultContentType", "id"):
        if key in document:
            converted[key] = document[key]
    servers = {}
    for key, raw in (document.get("servers") or {}).items():
        server, _ = _deref(document, raw, f"/servers/{pointer_segment(key)}")
        servers[key] = _server(server)
    if servers:
        converted["servers"] = servers
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    channel_keys: set[str] = set()
    operation_keys: set[str] = set()
    for address, raw in (document.get("channels") or {}).items():
        where = f"/channels/{pointer_segment(address)}"
        channel, _ = _deref(document, raw, where)
        key = unique_key(key_of(address.strip("/") or "root", "channel"), channel_keys)
        out: dict[str, Any] = {"address": address, "title": address}
        for part in ("description", "bindings", "parameters"):
            if part in channel:
                out[part] = channel[part]
        if channel.get("servers"):
            out["servers"] = [
                {"$ref": f"#/servers/{pointer_segment(s)}"} for s in channel["servers"]
            ]
        for part in channel:
            if part not in (
                "description",
                "bindings",
                "parameters",
                "servers",
                "publish",
                "subscribe",
            ):
                out[part] = channel[part]  # the reader reports it
        messages: dict[str, Any] = {}
        taken: set[str] = set()
        for verb in ("publish", "subscribe"):
            if verb not in channel:
                continue
            op_where = f"{where}/{verb}"
            operation, _ = _deref(document, channel[verb], op_where)
            message, name = _deref(document, operation.get("message"), f"{op_where}/message")
            listed = (
                message.get("oneOf")
                if isinstance(message, dict) and "oneOf" in message
                else [message]
            )
            refs = []
            for index, item in enumerate(listed or []):
                found, ref_name = _deref(document, item, f"{op_where}/message/oneOf/{index}")
                if not isinstance(found, dict):
                    continue
                wanted = str(
                    found.get("name") or found.get("messageId") or ref_name or name or verb
                )
                message_key = unique_key(key_of(wanted, "message"), taken)
                converted_message = {
                    k: v for k, v in found.items() if k not in ("messageId", "schemaFormat")
                }
                if "schemaFormat" in found and "payload" in found:
                    # 3.0 says the payload's format beside it (a Multi Format Schema Object).
                    converted_message["payload"] = {
                        "schemaFormat": found["schemaFormat"],
                        "schema": found["payload"],
                    }
                messages[message_key] = converted_message
                refs.append(
                    {
                        "$ref": f"#/channels/{pointer_segment(key)}/messages/{pointer_segment(message_key)}"
                    }
                )
            op_key = unique_key(
                key_of(str(operation.get("operationId") or f"{key}.{verb}")), operation_keys
            )
            operations[op_key] = {
                "action": _ACTIONS[verb],
                "channel": {"$ref": f"#/channels/{pointer_segment(key)}"},
                "messages": refs,
                **{k: v for k, v in operation.items() if k not in _OPERATION_PARTS},
            }
            if operation.get("summary"):
                operations[op_key]["summary"] = operation["summary"]
        if messages:
            out["messages"] = messages
        channels[key] = out
    converted["channels"] = channels
    converted["operations"] = operations
    if "components" in document:
        converted["components"] = {
            k: v for k, v in document["components"].items() if k in ("schemas", "securitySchemes")
        }
    return converted
