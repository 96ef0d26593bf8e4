"""Query-parameter parsing shared by every API view: one rule for whole numbers, one for
booleans, and the serializer fields a filter serializer builds on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from rest_framework import serializers
from rest_framework.fields import empty

from core.errors import ValidationFailed

_WHOLE = re.compile(r"[0-9]{1,18}")

Default = TypeVar("Default", int, None)

# The spellings a boolean query parameter may take (documented as an enum in the schema).
BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
BOOLEAN_HINT = "Use true or false."


def is_whole_number(raw: str) -> bool:
    """Digits only (no sign, no spaces), at most 18 of them: the rule for every count and id.

    ASCII digits only: ``"²".isdigit()`` is true and ``int("²")`` raises, and ``int()`` reads
    Arabic-Indic and other digits as numbers.
    """
    return _WHOLE.fullmatch(raw) is not None


def as_whole_number(raw: str) -> int | None:
    """``raw`` as a whole number by the one rule, or None when it is not one."""
    return int(raw) if is_whole_number(raw) else None


def whole_number(
    params: Mapping[str, Any], name: str, *, default: Default, low: int, high: int
) -> int | Default:
    """``params[name]`` as a whole number from ``low`` to ``high``; absent means ``default``.

    An empty value is a mistake, not "use the default" (the schema says so).
    """
    raw = params.get(name)
    if raw is None:
        return default
    if not is_whole_number(raw) or not low <= int(raw) <= high:
        raise ValidationFailed({name: [f"Use a whole number from {low} to {high}."]})
    return int(raw)


def boolean(params: Mapping[str, Any], name: str, *, default: bool) -> bool:
    """``params[name]`` as one of ``BOOLEAN_WORDS``; absent means ``default``, empty is wrong."""
    raw = params.get(name)
    if raw is None:
        return default
    word = raw.strip()
    if word not in BOOLEAN_WORDS:
        raise ValidationFailed({name: [BOOLEAN_HINT]})
    return BOOLEAN_WORDS[word]


class QueryValueField(serializers.Field[Any, Any, Any, Any]):
    """A single-valued query parameter as sent (the last one, stripped).

    Unlike DRF's fields on form data, an empty value is a wrong value, not "use the default".
    """

    @property
    def param(self) -> str:
        """The query parameter's name (set once the field is bound to its serializer)."""
        assert self.field_name is not None, "a query field is read only once bound"
        return self.field_name

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        raw = dictionary.get(self.param, empty)
        return raw.strip() if isinstance(raw, str) else raw

    def every_value(self, dictionary: Mapping[str, Any]) -> list[str] | None:
        """Every value the parameter was sent with (a QueryDict keeps repeats); None if absent."""
        if self.param not in dictionary:
            return None
        getlist = getattr(dictionary, "getlist", None)
        return list(getlist(self.param)) if getlist else [dictionary[self.param]]

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class QueryListField(QueryValueField):
    """Every value of a repeatable parameter, comma-separated ones split, blanks dropped."""

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        raw = self.every_value(dictionary)
        if raw is None:
            return empty
        return [part.strip() for item in raw for part in item.split(",") if part.strip()]


class QueryTextField(QueryValueField):
    """Free text: every value of the parameter joined by spaces (commas are text here)."""

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        raw = self.every_value(dictionary)
        if raw is None:
            return empty
        return " ".join(raw).strip()


class BooleanWordField(QueryValueField):
    default_error_messages = {"invalid": BOOLEAN_HINT}

    def to_internal_value(self, data: Any) -> bool:
        if data not in BOOLEAN_WORDS:
            self.fail("invalid")
        return BOOLEAN_WORDS[data]
