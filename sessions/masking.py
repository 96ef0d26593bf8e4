"""Keeping secret values out of a session's records: the spellings a secret takes on the wire,
and ``••••`` in their place in what the relay stores (handshake record, status texts, frames).

Pure and small. The services know which secrets they substituted and hand their values to the
relay with the command; the relay masks what it records, including whatever the upstream
sends back (an echo of a token must not put the token into the log).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

from endpoints.environments.resolver import MASK

MASK_BYTES = MASK.encode("utf-8")
# Characters the resolver leaves unencoded in a query string (endpoints.environments.resolver._QUERY_SAFE).
_QUERY_SAFE = ",:@/!$'()*"


def secret_forms(values: Iterable[str]) -> list[str]:
    """Every spelling of these values to look for, longest first.

    As written; percent-encoded as the resolver appends params to a URL, fully encoded and
    form-encoded (an upstream may re-encode a query it echoes); JSON-escaped (an upstream
    echoing a handshake as JSON). Empty values are skipped: nothing can be found of them.
    """
    forms: set[str] = set()
    for value in values:
        if not value:
            continue
        forms.update(
            (
                value,
                quote(value, safe=_QUERY_SAFE),
                quote(value, safe=""),
                quote_plus(value),
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
            )
        )
    forms.discard("")
    return sorted(forms, key=lambda form: (-len(form), form))


class Masker:
    """Replaces known secret spellings with ``••••``; returns its input unchanged (the same
    object) when nothing matched, so callers can tell cheaply whether anything was masked."""

    __slots__ = ("forms", "raw")

    def __init__(self, forms: Iterable[str] = ()) -> None:
        self.forms: list[str] = []
        self.raw: list[bytes] = []
        self.add(forms)

    def add(self, forms: Iterable[str]) -> None:
        merged = set(self.forms)
        merged.update(form for form in forms if form)
        self.forms = sorted(merged, key=lambda form: (-len(form), form))
        self.raw = [form.encode("utf-8", errors="surrogatepass") for form in self.forms]

    def __bool__(self) -> bool:
        return bool(self.forms)

    def text(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def data(self, data: bytes) -> bytes:
        for form in self.raw:
            if form in data:
                data = data.replace(form, MASK_BYTES)
        return data

    def message(self, message: str | bytes) -> str | bytes:
        """A frame's payload with secrets masked; the very same object when none was found."""
        masked = self.text(message) if isinstance(message, str) else self.data(message)
        return message if masked == message else masked

    def pairs(self, pairs: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[self.text(name), self.text(value)] for name, value in pairs]

    def value(self, value: Any) -> Any:
        """Strings anywhere inside lists and dicts (a record's ``info``) masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value


def shown_pairs(
    sent: Sequence[Sequence[str]],
    real: Sequence[Sequence[str]],
    shown: Sequence[Sequence[str]],
    masker: Masker,
) -> list[list[str]]:
    """Header pairs as actually sent, for the record: rows Switchboard resolved are shown as
    the resolver masked them (exactly where a secret was substituted); headers the WebSocket
    library added (``Host``, ``Sec-WebSocket-Protocol``...) are searched for secret spellings."""
    known = {
        (name, value): [shown_name, shown_value]
        for (name, value), (shown_name, shown_value) in zip(real, shown, strict=False)
    }
    result: list[list[str]] = []
    for name, value in sent:
        replaced = known.get((name, value))
        result.append(
            list(replaced) if replaced is not None else [masker.text(name), masker.text(value)]
        )
    return result
