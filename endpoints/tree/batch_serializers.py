"""The batch request (``POST /projects/{id}/endpoints/batch/``): many endpoints moved,
re-statused, re-assigned, tagged or deleted in one all-or-nothing write, and its answer."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.query import as_whole_number
from endpoints.models import EndpointStatus


class BatchOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=["move", "set_status", "set_assignee", "add_tags", "remove_tags", "delete"]
    )
    folder = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)
    assignee = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )

    REQUIRED = {
        "move": "folder",
        "set_status": "status",
        "set_assignee": "assignee",
        "add_tags": "tags",
        "remove_tags": "tags",
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needed = self.REQUIRED.get(attrs["op"])
        if needed and needed not in attrs:
            raise serializers.ValidationError({needed: [f"Required for {attrs['op']}."]})
        return attrs


class BatchSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=5000
    )
    operations = serializers.ListSerializer[Any](
        child=BatchOperationSerializer(), min_length=1, max_length=20
    )
    versions = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Endpoint id → the version you read; one stale entry rejects the batch.",
    )

    def validate_versions(self, value: dict[str, int]) -> dict[int, int]:
        versions: dict[int, int] = {}
        for key, version in value.items():
            endpoint_id = as_whole_number(key)
            if endpoint_id is None:
                raise serializers.ValidationError("Keys must be endpoint ids.")
            versions[endpoint_id] = version
        return versions


class BatchResultSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.IntegerField())
    deleted = serializers.ListField(child=serializers.IntegerField())
