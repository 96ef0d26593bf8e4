"""Shapes of projects and members in the API.

The ``*_data`` functions produce the JSON; ``*OutSerializer`` classes only describe it for the
schema, and tests/test_shapes.py keeps the two equal. ``*InSerializer`` classes parse input.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.markdown import render_markdown
from core.people import UserBriefSerializer, user_brief
from core.timestamps import iso
from core.versioning import VersionedInput
from endpoints.auth import auth_public
from endpoints.auth_serializers import AuthInSerializer, AuthOutSerializer
from endpoints.models import Project, Role

PROJECT_AUTH_HELP = (
    "The Auth tab every endpoint and folder inherits unless it sets its own "
    "(docs/connection-auth.md): none, bearer, basic or api_key. Admins change it."
)


def project_data(
    project: Project, role: str | None = None, member_count: int | None = None
) -> dict[str, Any]:
    data = {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "description_html": render_markdown(project.description),
        "version": project.version,
        "auth": auth_public(project.auth, top=True),
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }
    if role is not None:
        data["role"] = role
    if member_count is not None:
        data["member_count"] = member_count
    return data


def member_data(membership: Any) -> dict[str, Any]:
    user = membership.user
    return {
        "user": user_brief(user),
        "role": membership.role,
        "joined_at": iso(membership.created_at),
    }


class ProjectOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    description_html = serializers.CharField(
        allow_blank=True, help_text="The description's Markdown as sanitized HTML."
    )
    version = serializers.IntegerField()
    auth = AuthOutSerializer(help_text=PROJECT_AUTH_HELP)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    member_count = serializers.IntegerField(required=False)


class MemberOutSerializer(serializers.Serializer):
    user = UserBriefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField()


class ProjectInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, max_length=100_000)
    auth = AuthInSerializer(required=False, help_text=PROJECT_AUTH_HELP)

    def validate_auth(self, value: dict[str, Any]) -> dict[str, Any]:
        # Shape only; the service merges it with the stored tab.
        return dict(self.initial_data.get("auth") or value)


class MemberAddSerializer(serializers.Serializer):
    user = serializers.CharField(
        help_text="Username or user id of an existing account.", max_length=150
    )
    role = serializers.ChoiceField(choices=Role.choices)


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
