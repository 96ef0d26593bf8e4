"""HTTP in/out for share links: input shapes, and the plain output function with the schema
serializer that describes it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from core.people import UserBriefSerializer, user_brief
from core.timestamps import iso
from core.versioning import VersionedInput
from docs_app.models import ShareLink
from docs_app.tokens import recoverable_token


def share_link_data(link: ShareLink, *, base_url: str, with_url: bool) -> dict[str, Any]:
    """A link as the API shows it; ``with_url`` (editors, admins) adds the token and the URL.

    ``base_url`` is the server's origin, e.g. ``https://switchboard.example.com``.
    """
    now = timezone.now()
    token = recoverable_token(link.token_seed, link.token_digest) if with_url else None
    expired = link.expires_at is not None and link.expires_at <= now
    return {
        "id": link.pk,
        "name": link.name,
        "token": token,
        "url": f"{base_url}/share/{token}/" if token else None,
        "token_prefix": link.token_prefix,
        "preview_url": f"{base_url}/projects/{link.project_id}/docs/links/{link.pk}/",
        "whole_project": link.whole_project,
        "folders": [folder.pk for folder in link.folders.all()],
        "endpoints": [endpoint.pk for endpoint in link.endpoints.all()],
        "has_password": link.has_password,
        "expires_at": iso(link.expires_at),
        "expired": expired,
        "environment": link.environment_id,
        "show_assignee": link.show_assignee,
        "public": link.public,
        "revoked": link.revoked,
        "revoked_at": iso(link.revoked_at),
        "active": not expired and not link.revoked,
        "view_count": link.view_count,
        "last_viewed_at": iso(link.last_viewed_at),
        "version": link.version,
        "created_at": iso(link.created_at),
        "updated_at": iso(link.updated_at),
        "created_by": user_brief(link.created_by),
    }


class ShareLinkOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    token = serializers.CharField(
        allow_null=True,
        help_text="The secret part of the URL; null for viewers, and for links minted under "
        "another SECRET_KEY (rotate those to get a new one).",
    )
    url = serializers.CharField(allow_null=True, help_text="The link to hand out; null as token.")
    token_prefix = serializers.CharField(
        help_text="The token's first characters, to tell links apart."
    )
    preview_url = serializers.CharField(help_text="The same pages for members (login session).")
    whole_project = serializers.BooleanField()
    folders = serializers.ListField(
        child=serializers.IntegerField(), help_text="Chosen folders (with everything below)."
    )
    endpoints = serializers.ListField(child=serializers.IntegerField())
    has_password = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)
    expired = serializers.BooleanField()
    environment = serializers.IntegerField(allow_null=True)
    show_assignee = serializers.BooleanField()
    public = serializers.BooleanField()
    revoked = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField(help_text="Neither revoked nor expired.")
    view_count = serializers.IntegerField()
    last_viewed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    created_by = UserBriefSerializer(allow_null=True)


class ShareLinkInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200)
    whole_project = serializers.BooleanField(
        required=False,
        help_text="Share everything (default when no folders or endpoints are given).",
    )
    folders = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=1000
    )
    endpoints = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=10000
    )
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        max_length=128,
        write_only=True,
        help_text="Set a password; an empty string or null removes it.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    environment = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Its non-secret shared values fill {{references}} on the pages.",
    )
    show_assignee = serializers.BooleanField(required=False)
    public = serializers.BooleanField(
        required=False, help_text="Let search engines index the pages (noindex otherwise)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Choosing folders or endpoints means sharing part of the project. Emptying one of
        # the lists never widens a link to the whole project: that takes whole_project=true.
        if "whole_project" not in attrs and (attrs.get("folders") or attrs.get("endpoints")):
            attrs["whole_project"] = False
        return attrs
