"""A server's security requirements as handshake rows: what a WebSocket client sends is a
query parameter, a header or a cookie, whose value is a ``{{variable}}`` named after the
scheme (set it as a secret: docs/variables.md). Schemes a handshake row cannot carry (OAuth
flows, SASL, certificates) are reported instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from endpoints.asyncapi.addresses import pointer_segment
from endpoints.environments.resolver import is_valid_name

ROW_FIELDS = {"query": "params", "header": "headers", "cookie": "cookies"}
HTTP_SCHEMES = {"bearer": "Bearer", "basic": "Basic"}

Rows = dict[str, list[dict[str, Any]]]


def _row(name: str, value: str, description: str) -> dict[str, Any]:
    return {"name": name, "value": value, "enabled": True, "description": description[:2000]}


def security_rows(
    document: dict[str, Any],
    requirements: Any,
    where: str,
    deref: Callable[[Any, str], Any],
    note: Callable[[str, str], None],
) -> Rows:
    """Rows for the server's ``security`` list (3.0: schemes or references to them; 2.6:
    ``{scheme name: scopes}``), by handshake field."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    found: Rows = {}
    for index, requirement in enumerate(requirements or []):
        at = f"{where}/security/{index}"
        if isinstance(requirement, dict) and "$ref" in requirement:
            ref = str(requirement["$ref"])
            pairs = [(ref.rsplit("/", 1)[-1], deref(requirement, at))]
        elif isinstance(requirement, dict):
            pairs = [
                (
                    name,
                    deref(
                        schemes.get(name), f"/components/securitySchemes/{pointer_segment(name)}"
                    ),
                )
                for name in requirement
            ]
        else:
            continue
        for key, scheme in pairs:
            if not isinstance(scheme, dict) or not is_valid_name(key):
                note(at, "A security scheme without a usable name is not imported.")
                continue
            kind = scheme.get("type")
            text = f"From security scheme {key!r}: set {{{{{key}}}}}, as a secret."
            description = str(scheme.get("description") or text)
            if kind == "httpApiKey" and scheme.get("in") in ROW_FIELDS and scheme.get("name"):
                field = ROW_FIELDS[scheme["in"]]
                row = _row(str(scheme["name"]), "{{" + key + "}}", description)
            elif kind == "http" and str(scheme.get("scheme", "")).lower() in HTTP_SCHEMES:
                prefix = HTTP_SCHEMES[str(scheme["scheme"]).lower()]
                field, row = (
                    "headers",
                    _row("Authorization", f"{prefix} {{{{{key}}}}}", description),
                )
            else:
                note(at, f"Security scheme {key!r} ({kind}) has no handshake row: not imported.")
                continue
            found.setdefault(field, []).append(row)
            note(
                at,
                f"Security scheme {key!r} is imported as the {field[:-1]} {row['name']!r}: {text}",
            )
    return found
