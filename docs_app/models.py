"""Share links of a project's docs, the password-failure log that rate-limits them, and the
stored HTML of endpoint descriptions that the docs pages serve."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from endpoints.models import Edited, Endpoint, Environment, Folder, Project


class ShareLink(Edited):
    """A read-only view of a project's docs for people without an account.

    The token in the link is never stored: ``token_digest`` (SHA-256) finds the link, and
    ``token_seed`` lets the server derive the same token again (HMAC with the SECRET_KEY,
    see ``docs_app.tokens``) so that editors can copy the link later. A database dump alone
    therefore gives no usable link.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="share_links")
    name = models.CharField(max_length=200)
    token_seed = models.CharField(max_length=64)
    token_digest = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)
    # Scope: the whole project, or the chosen folders (with everything below them) and endpoints.
    whole_project = models.BooleanField(default=True)
    folders = models.ManyToManyField(Folder, blank=True, related_name="+")
    endpoints = models.ManyToManyField(Endpoint, blank=True, related_name="+")
    password_hash = models.CharField(max_length=256, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    # Non-secret shared values of this environment fill {{references}} on the pages.
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    show_assignee = models.BooleanField(default=False)
    # Public links may be indexed by search engines; all others are sent with noindex.
    public = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveBigIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


class PasswordFailure(models.Model):
    """One wrong password for a link from one client; counted to rate-limit guessing."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the client address: enough to count per client, without keeping addresses.
    client = models.CharField(max_length=64)
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["link", "client", "failed_at"])]

    def __str__(self) -> str:
        return f"failure on link {self.link_id} at {self.failed_at:%Y-%m-%d %H:%M:%S}"


class RenderedDescription(models.Model):
    """An endpoint description rendered to sanitized HTML, plus its plain-text summary.

    Filled when a docs page first needs it and kept until the Markdown (or the renderer)
    changes, which ``source_digest`` detects; rendering 1,000 descriptions on every request
    would dominate the index page.
    """

    endpoint = models.OneToOneField(
        Endpoint, on_delete=models.CASCADE, primary_key=True, related_name="docs_rendering"
    )
    source_digest = models.CharField(max_length=64)
    html = models.TextField(blank=True, default="")
    summary = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"description of endpoint {self.endpoint_id}"
