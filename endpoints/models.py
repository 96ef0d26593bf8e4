"""The workspace's stored data: projects, members, folders, endpoints, saved messages, tags, tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class EndpointStatus(models.TextChoices):
    DESIGNING = "designing"
    PENDING = "pending"
    DEVELOPING = "developing"
    INTEGRATING = "integrating"
    TESTING = "testing"
    TESTED = "tested"
    RELEASED = "released"
    DEPRECATED = "deprecated"
    EXCEPTION = "exception"
    OBSOLETE = "obsolete"


class MessageFormat(models.TextChoices):
    TEXT = "text"
    JSON = "json"
    XML = "xml"
    HTML = "html"
    BASE64 = "base64"
    HEX = "hex"


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.project_id} as {self.role}"


class Folder(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["project", "parent", "position"])]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=64)

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "project", name="tag_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class Endpoint(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="endpoints")
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="endpoints"
    )
    name = models.CharField(max_length=200)
    url = models.CharField(max_length=2048)
    # Ordered rows of {name, value, enabled, description}; order is part of the handshake.
    params = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=list, blank=True)
    cookies = models.JSONField(default=list, blank=True)
    subprotocols = models.JSONField(default=list, blank=True)
    # Connection settings; see endpoints.handshake.DEFAULT_SETTINGS for defaults and bounds.
    connection_settings = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=EndpointStatus.choices, default=EndpointStatus.DEVELOPING
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_endpoints",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="endpoints")
    description = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["project", "folder", "position"]),
            models.Index(fields=["project", "status"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags.all()]


class SavedMessage(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    format = models.CharField(max_length=8, choices=MessageFormat.choices, default="text")
    body = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AccessToken(models.Model):
    """A personal access token; only a SHA-256 of the secret is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
