"""Shapes of the AsyncAPI import: what it takes, and the report it answers with."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from endpoints.asyncapi.services import ImportReport

IMPORT_KINDS = ("schema", "environment", "variable", "folder", "endpoint")
IMPORT_OUTCOMES = ("created", "updated", "unchanged", "skipped")


class ImportInSerializer(serializers.Serializer):
    document = serializers.CharField(
        trim_whitespace=False,
        help_text="The AsyncAPI 3.0.0 or 2.6.0 document, YAML or JSON text (never a URL). "
        "At most ASYNCAPI_MAX_DOCUMENT_BYTES bytes.",
    )
    folder = serializers.IntegerField(
        allow_null=True, required=False, min_value=1, help_text="Import below this folder."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="List what would be created, updated or skipped; write nothing."
    )


class ImportItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IMPORT_KINDS)
    name = serializers.CharField()
    outcome = serializers.ChoiceField(choices=IMPORT_OUTCOMES)
    where = serializers.CharField(help_text="JSON Pointer of the part of the document.")
    reason = serializers.CharField()


class UnsupportedSerializer(serializers.Serializer):
    where = serializers.CharField(help_text="JSON Pointer of the part of the document.")
    detail = serializers.CharField()


class ImportOutSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The document's AsyncAPI version.")
    dry_run = serializers.BooleanField()
    items = ImportItemSerializer(many=True)
    unsupported = UnsupportedSerializer(
        many=True, help_text="Parts of the document that were not imported, and why."
    )


def report_data(report: ImportReport) -> dict[str, Any]:
    return {
        "version": report.version,
        "dry_run": report.dry_run,
        "items": [
            {
                "kind": item.kind,
                "name": item.name,
                "outcome": item.outcome,
                "where": item.where or "/",
                "reason": item.reason,
            }
            for item in report.items
        ],
        "unsupported": [
            {"where": where or "/", "detail": what} for where, what in report.unsupported
        ],
    }
