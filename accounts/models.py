"""Personal access tokens (people themselves are Django's ``auth.User``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
        # The table was created by the endpoints app, where tokens used to live; it stays.
        db_table = "endpoints_accesstoken"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
