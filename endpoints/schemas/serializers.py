"""Shapes of project schemas in the API.

``schema_data`` produces the JSON; ``ProjectSchemaOutSerializer`` only describes it for the
schema (tests/endpoints/schemas checks the two agree). ``*InSerializer`` classes parse input.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.formats import BodyFormatError
from core.people import UserBriefSerializer, user_brief
from core.timestamps import iso
from core.versioning import VersionedInput
from endpoints.environments.serializers import storable
from endpoints.models import ProjectSchema
from endpoints.schemas.generate import json_value


def schema_data(row: ProjectSchema, used_by: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.pk,
        "name": row.name,
        "description": row.description,
        "schema": row.schema,
        "version": row.version,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "updated_by": user_brief(row.updated_by),
        "used_by": used_by,
    }


class SchemaUseSerializer(serializers.Serializer[Any]):
    endpoint = serializers.IntegerField()
    endpoint_name = serializers.CharField()
    message = serializers.CharField(help_text="The name of the message whose schema refers to it.")


class ProjectSchemaOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    schema = serializers.JSONField(help_text="A JSON Schema (draft 2020-12).")
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    updated_by = UserBriefSerializer(allow_null=True)
    used_by = SchemaUseSerializer(
        many=True,
        help_text='Messages whose schema refers to it as {"$ref": "#/components/schemas/<name>"}.',
    )


class ProjectSchemaInSerializer(VersionedInput):
    name = serializers.CharField(
        max_length=200,
        trim_whitespace=False,
        help_text="Letters, digits, '_', '.', '-'; starts with a letter or '_'. Unique in the "
        "project; messages refer to it as #/components/schemas/<name>.",
    )
    description = serializers.CharField(
        allow_blank=True, required=False, max_length=100_000, validators=[storable]
    )
    schema = serializers.JSONField(
        required=False, help_text="A JSON Schema (draft 2020-12); or send schema_text instead."
    )
    schema_text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="The schema as JSON text, as typed in an editor; a syntax error names its "
        "line and column.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "schema_text" in attrs:
            if "schema" in attrs:
                raise serializers.ValidationError(
                    {"schema_text": ["Send schema or schema_text, not both."]}
                )
            try:
                attrs["schema"] = json_value(attrs.pop("schema_text"))
            except BodyFormatError as exc:
                raise serializers.ValidationError({"schema_text": [str(exc)]}) from None
        elif not self.partial and "schema" not in attrs:
            raise serializers.ValidationError(
                {"schema": ["A schema is required (as JSON in schema, or as text in schema_text)."]}
            )
        return attrs


class GenerateInSerializer(serializers.Serializer[Any]):
    example = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="A JSON payload as text.",
    )
    session = serializers.IntegerField(
        required=False, min_value=1, help_text="One of your debug sessions in this project."
    )
    seq = serializers.IntegerField(
        required=False, min_value=0, help_text="The logged frame's number in that session."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        frame = "session" in attrs or "seq" in attrs
        if "example" in attrs and frame:
            raise serializers.ValidationError(
                {"example": ["Send an example or a session and seq, not both."]}
            )
        if frame:
            missing = [key for key in ("session", "seq") if key not in attrs]
            if missing:
                raise serializers.ValidationError(
                    {key: ["A logged frame is named by session and seq."] for key in missing}
                )
        elif "example" not in attrs:
            raise serializers.ValidationError(
                {
                    "example": [
                        "Send an example (JSON text), or a session and seq of a logged frame."
                    ]
                }
            )
        return attrs


class GenerateOutSerializer(serializers.Serializer[Any]):
    schema = serializers.JSONField(help_text="A JSON Schema (draft 2020-12) the payload satisfies.")
