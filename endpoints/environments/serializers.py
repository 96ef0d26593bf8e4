"""Shapes of environments and variables in the API.

The ``*_data`` functions produce the JSON; ``*OutSerializer`` classes only describe it for the
schema, and tests/test_shapes.py keeps the two equal. ``*InSerializer`` classes parse input.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.people import UserBriefSerializer, user_brief
from core.query import QueryValueField, as_whole_number
from core.timestamps import iso
from core.versioning import VersionedInput
from endpoints.environments.resolver import is_valid_name
from endpoints.environments.selectors import GLOBAL
from endpoints.models import Environment, Variable
from endpoints.tree.serializers import VariableUsageSerializer

MAX_VARIABLE_VALUE = 1_000_000


def environment_data(environment: Environment) -> dict[str, Any]:
    data = {
        "id": environment.pk,
        "name": environment.name,
        "position": environment.position,
        "base_url": environment.base_url,
        "version": environment.version,
        "created_at": iso(environment.created_at),
        "updated_at": iso(environment.updated_at),
        "updated_by": user_brief(environment.updated_by),
    }
    if hasattr(environment, "variable_count"):
        data["variable_count"] = environment.variable_count
    return data


def variable_data(variable: Variable) -> dict[str, Any]:
    """A variable as the caller may see it: never a secret's value, only their own current value.

    Expects ``selectors.project_variables``/``variable_get``, which join the caller's own
    current value as ``own_value_id``/``own_value``; nobody else's is ever read.
    """
    own_set = getattr(variable, "own_value_id", None) is not None
    own_value: str | None = getattr(variable, "own_value", None)
    return {
        "id": variable.pk,
        "environment": variable.environment_id,
        "name": variable.name,
        "description": variable.description,
        "secret": variable.secret,
        "initial_value": None if variable.secret else variable.initial_value,
        "value_set": variable.initial_value != "",
        "current_value": own_value if own_set and not variable.secret else None,
        "current_value_set": own_set,
        "position": variable.position,
        "version": variable.version,
        "created_at": iso(variable.created_at),
        "updated_at": iso(variable.updated_at),
        "updated_by": user_brief(variable.updated_by),
    }


class EnvironmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    base_url = serializers.CharField(
        allow_blank=True, help_text="Offered to references as {{baseUrl}}."
    )
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)
    variable_count = serializers.IntegerField(required=False)


class VariableOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    environment = serializers.IntegerField(allow_null=True, help_text="null: a project global.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    secret = serializers.BooleanField()
    initial_value = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="The shared value; always null for a secret."
    )
    value_set = serializers.BooleanField(help_text="Whether the shared value is non-empty.")
    current_value = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        help_text="Your own private value; null when unset or secret.",
    )
    current_value_set = serializers.BooleanField(help_text="Whether you have a current value.")
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)


class EndpointVariableStatusSerializer(VariableUsageSerializer):
    resolves = serializers.BooleanField(help_text="Whether it has a value for you, here.")
    # A declared field named like Field.source; DRF's metaclass moves it off the class.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["override", "current_value", "environment", "base_url", "global", "dynamic"],
        allow_null=True,
    )
    secret = serializers.BooleanField()


class EndpointVariablesSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True)
    variables = EndpointVariableStatusSerializer(many=True)
    unresolved = serializers.ListField(child=serializers.DictField(), help_text="{name, where}")


class PairSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField(allow_blank=True)


class ResolvedHandshakeSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="With the enabled params appended.")
    params = PairSerializer(many=True)
    headers = PairSerializer(many=True)
    cookies = PairSerializer(many=True)
    subprotocols = serializers.ListField(child=serializers.CharField())


class PreviewOutSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True)
    handshake = ResolvedHandshakeSerializer(help_text="Secrets are shown as ••••.")


def storable(value: str) -> None:
    # PostgreSQL text cannot hold unpaired surrogates (NUL is refused by CharField already).
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise serializers.ValidationError("Unpaired surrogate characters are not allowed.")


class EnvironmentInSerializer(VersionedInput):
    name = serializers.CharField(max_length=100, validators=[storable])
    base_url = serializers.CharField(
        allow_blank=True, required=False, max_length=2048, trim_whitespace=False
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)

    def validate_base_url(self, value: str) -> str:
        if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in value):
            raise serializers.ValidationError("No spaces or control characters.")
        storable(value)
        return value


class VariableInSerializer(VersionedInput):
    name = serializers.CharField(max_length=100, trim_whitespace=False)
    environment = serializers.IntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        help_text="An environment id; null or absent for a project global. Fixed once created.",
    )
    initial_value = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=MAX_VARIABLE_VALUE,
        trim_whitespace=False,
        validators=[storable],
    )
    description = serializers.CharField(
        allow_blank=True, required=False, max_length=100_000, validators=[storable]
    )
    secret = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)

    def validate_name(self, value: str) -> str:
        if not is_valid_name(value):
            raise serializers.ValidationError(
                "A name starts with a letter or '_' and continues with letters, digits, "
                "'_', '-' or '.'."
            )
        return value


class CurrentValueInSerializer(serializers.Serializer):
    value = serializers.CharField(
        allow_blank=True,
        max_length=MAX_VARIABLE_VALUE,
        trim_whitespace=False,
        validators=[storable],
    )


class PreviewInSerializer(serializers.Serializer):
    environment = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000),
        required=False,
        help_text="Values for this preview only; they win over every stored value.",
    )

    def validate_values(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 500:
            raise serializers.ValidationError("At most 500 values.")
        return value


class VariableFilterSerializer(serializers.Serializer):
    """``GET …/variables/?environment=``: an environment id, or 'global' for the globals."""

    environment = QueryValueField(required=False)

    def validate_environment(self, ref: str) -> int | str:
        if ref.lower() in {"global", "none", "null"}:
            return GLOBAL
        environment_id = as_whole_number(ref)
        if environment_id is None:
            raise serializers.ValidationError("Use an environment id or 'global'.")
        return environment_id


class EndpointVariablesFilterSerializer(serializers.Serializer):
    """``GET …/endpoints/{id}/variables/?environment=``: an environment id; empty, 'global' or
    'none' (or nothing) for the globals only."""

    environment = QueryValueField(required=False, default="")

    def validate_environment(self, ref: str) -> int | None:
        if ref.lower() in {"", "none", "null", "global"}:
            return None
        environment_id = as_whole_number(ref)
        if environment_id is None:
            raise serializers.ValidationError("Use an environment id, or leave it out.")
        return environment_id
