"""Shapes of revisions, comments and project events in the API.

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
from endpoints.activity.mentions import highlight_mentions
from endpoints.environments.serializers import storable
from endpoints.models import Comment, EndpointStatus, Revision
from endpoints.tree.message_serializers import MessageOutSerializer
from endpoints.tree.serializers import RowSerializer, SettingsSerializer


def revision_data(revision: Revision, *, with_snapshot: bool = False) -> dict[str, Any]:
    """A revision; with the snapshot, it also shows the endpoint or folder as it was then."""
    data: dict[str, Any] = {
        "id": revision.pk,
        "version": revision.version,
        "action": revision.action,
        "actor": user_brief(revision.actor),
        "created_at": iso(revision.created_at),
        "changes": revision.changes,
        "revert_of": revision.revert_of,
    }
    if with_snapshot:
        if revision.endpoint_id is not None:
            data["endpoint"] = {
                "id": revision.endpoint_id,
                "version": revision.version,
                **revision.snapshot,
            }
        else:
            data["folder"] = {
                "id": revision.folder_id,
                "version": revision.version,
                **revision.snapshot,
            }
    return data


def comment_data(comment: Comment) -> dict[str, Any]:
    """A comment with its Markdown rendered (sanitized) and members' @mentions marked.

    Expects ``author``, ``resolved_by`` and ``mentions`` loaded (``selectors.endpoint_comments``).
    """
    mentions = sorted(comment.mentions.all(), key=lambda user: user.get_username().lower())
    members = {user.get_username().lower(): user_brief(user) for user in mentions}
    return {
        "id": comment.pk,
        "endpoint": comment.endpoint_id,
        "author": user_brief(comment.author),
        "body": comment.body,
        "body_html": highlight_mentions(render_markdown(comment.body), members),
        "mentions": [members[user.get_username().lower()] for user in mentions],
        "resolved": comment.resolved_at is not None,
        "resolved_at": iso(comment.resolved_at),
        "resolved_by": user_brief(comment.resolved_by),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "edited_at": iso(comment.edited_at),
    }


class RevisionChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="Value before; null when created.")
    new = serializers.JSONField(allow_null=True)


class RevisionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The version this change produced.")
    action = serializers.ChoiceField(choices=["created", "updated", "moved", "reverted"])
    actor = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    changes = RevisionChangeSerializer(many=True)
    revert_of = serializers.IntegerField(
        allow_null=True, help_text="For a revert: the revision that was restored."
    )


class EndpointSnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    folder = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    params = RowSerializer(many=True)
    headers = RowSerializer(many=True)
    cookies = RowSerializer(many=True)
    subprotocols = serializers.ListField(child=serializers.CharField())
    settings = SettingsSerializer()
    messages = MessageOutSerializer(many=True)
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    assignee = UserBriefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)


class FolderSnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    # A declared field named like Field.parent; DRF's metaclass moves it off the class.
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    position = serializers.IntegerField()


class EndpointRevisionDetailSerializer(RevisionOutSerializer):
    endpoint = EndpointSnapshotSerializer(help_text="The endpoint as it was after this change.")


class FolderRevisionOutSerializer(RevisionOutSerializer):
    folder = FolderSnapshotSerializer(help_text="The folder as it was after this change.")


class CommentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint = serializers.IntegerField()
    author = UserBriefSerializer(allow_null=True)
    body = serializers.CharField(help_text="Markdown source.")
    body_html = serializers.CharField(
        help_text='Sanitized HTML; members\' @mentions are <span class="mention">.'
    )
    mentions = UserBriefSerializer(many=True)
    resolved = serializers.BooleanField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class CommentInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False, validators=[storable])


class RevertInSerializer(VersionedInput):
    """Optionally the endpoint version you read (or send If-Match)."""


class ProjectEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Per-project sequence number, from 1, no gaps.")
    kind = serializers.CharField(help_text="e.g. endpoint.updated, comment.added, member.left")
    at = serializers.DateTimeField()
    actor = UserBriefSerializer(allow_null=True)


class ProjectEventsSerializer(serializers.Serializer):
    events = ProjectEventSerializer(many=True)
    last_seq = serializers.IntegerField(help_text="The project's latest sequence number.")
