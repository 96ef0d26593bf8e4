"""One log entry in detail: the message re-read as text, JSON, XML, HTML, hexdump or Base64."""

from __future__ import annotations

import base64
from typing import Any

from core.errors import ValidationFailed
from core.formats import (
    PRETTY_FORMATS,
    TEXT_ENCODINGS,
    BodyFormatError,
    decode_bytes,
    detect_text_format,
    hexdump,
    pretty,
)
from sessions.models import Event
from sessions.relay.protocol import event_data

DETAIL_VIEWS = ("auto", "text", "json", "xml", "html", "hexdump", "base64")


def event_bytes(event: Event) -> bytes:
    if event.data is not None:
        return bytes(event.data)
    return (event.text or "").encode("utf-8")


def event_detail_data(
    event: Event, *, view: str | None = None, encoding: str | None = None
) -> dict[str, Any]:
    """One log entry shown in full: text pretty-printed when it parses, binary as a hexdump.

    ``view`` picks the format (auto, text, json, xml, html, hexdump, base64); ``encoding``
    re-reads the message's bytes with another text encoding. A view the message does not
    parse as falls back to plain text and says why in ``problem``.
    """
    errors: dict[str, list[str]] = {}
    view = (view or "auto").lower()
    if view not in DETAIL_VIEWS:
        errors["format"] = [f"Use one of {', '.join(DETAIL_VIEWS)}."]
    if encoding and encoding.lower().replace("_", "-") not in TEXT_ENCODINGS:
        errors["encoding"] = [f"Use one of {', '.join(TEXT_ENCODINGS)}."]
    if errors:
        raise ValidationFailed(errors)
    data = event_data(event)
    data.pop("text")
    data.pop("base64")
    problem = None
    raw = event_bytes(event)
    if not event.opcode:
        shown, content = "text", event.text or ""
    elif event.opcode == "binary" and event.data is None and event.text is not None:
        # Sent with a secret substituted: only its source text is kept, secrets masked.
        shown, content = "text", event.text
        problem = (
            "A secret was substituted into this binary message, so its bytes are not stored; "
            f"this is its {(event.info or {}).get('format') or 'source'} text as written, "
            "secrets shown as ••••."
        )
    elif view == "base64":
        shown, content = "base64", base64.b64encode(raw).decode("ascii")
    elif view == "hexdump" or (event.opcode == "binary" and view == "auto" and not encoding):
        shown, content = "hexdump", hexdump(raw)
    else:
        if encoding:
            text = decode_bytes(raw, encoding)
        elif event.opcode == "binary":
            text = decode_bytes(raw, "utf-8")
        else:
            text = event.text if event.text is not None else raw.decode("utf-8", "replace")
        target = detect_text_format(text) if view == "auto" else view
        shown, content = "text", text
        if target in PRETTY_FORMATS:
            try:
                content, shown = pretty(target, text), target
            except BodyFormatError as exc:
                if view != "auto":
                    problem = str(exc)
        if event.truncated and problem is None and shown == "text" and view != "text":
            problem = "Only the start of this message is stored, so it is shown as plain text."
    data.update(
        view=shown,
        encoding=(encoding or "utf-8") if shown not in ("hexdump", "base64") else None,
        content=content,
        problem=problem,
    )
    return data
