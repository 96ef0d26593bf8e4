"""Versioned writes: the version a client read (If-Match or a ``version`` field), the ETag it
gets back, and the check that refuses a stale write with 412."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ValidationFailed, VersionConflict
from core.people import user_brief
from core.timestamps import iso

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')

VERSION_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The version you read, e.g. "3". A stale version is rejected with 412.',
)


class VersionedInput(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read; a stale one is rejected (412).",
    )


def expected_version(request: Request, body_version: int | None = None) -> int | None:
    """The version the client read: If-Match wins over a ``version`` field; neither means none."""
    header = request.headers.get("If-Match")
    if header and header.strip() == "*":
        # RFC 9110: "*" matches any current representation, so it pins no version.
        return body_version
    if header:
        match = _IF_MATCH.match(header)
        if not match:
            raise ValidationFailed({"If-Match": ['Send the version you read, e.g. If-Match: "3".']})
        return int(match.group(1))
    return body_version


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def versioned(data: dict[str, Any], version: int, status: int = 200) -> Response:
    return Response(data, status=status, headers=etag(version))


class Versioned(Protocol):
    """A row written with optimistic locking (projects, folders, endpoints, environments,
    variables, share links)."""

    @property
    def version(self) -> int: ...

    @property
    def updated_at(self) -> datetime: ...


def check_version(obj: Versioned, expected_version: int | None) -> None:
    """Raise VersionConflict (with the current version and who last changed it) when stale."""
    if expected_version is None or expected_version == obj.version:
        return
    # A project records no updated_by; the other versioned rows do.
    updated_by = getattr(obj, "updated_by", None)
    raise VersionConflict(
        current_version=obj.version,
        your_version=expected_version,
        updated_by=user_brief(updated_by),
        updated_at=iso(getattr(obj, "updated_at", None)),
    )
