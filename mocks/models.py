"""What a mock is made of: a project's mock settings (its key), each endpoint's behaviour (a
checked spec, see mocks.engine.spec), and the recent mock connections with their frames."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from endpoints.models import Endpoint, Project

KEY_BYTES = 24


def new_mock_key() -> str:
    """An unguessable key: 192 random bits, URL-safe (it is a path segment)."""
    return secrets.token_urlsafe(KEY_BYTES)


class MockSettings(models.Model):
    """A project's mock server: where it is (the key) and who may connect."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="mock_settings")
    key = models.CharField(max_length=64, unique=True, default=new_mock_key)
    enabled = models.BooleanField(default=True)
    # When set, a client must send this header with this value (e.g. X-Mock-Token).
    header_name = models.CharField(max_length=100, blank=True, default="")
    header_value = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"mock of {self.project_id}"


class MockBehaviour(models.Model):
    """How one endpoint's mock behaves; without a row, the default spec."""

    endpoint = models.OneToOneField(
        Endpoint, on_delete=models.CASCADE, primary_key=True, related_name="mock_behaviour"
    )
    spec = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"mock behaviour of {self.endpoint_id}"


class MockConnection(models.Model):
    """One client connection to an endpoint's mock; only the most recent few are kept."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="+")
    client = models.CharField(max_length=100, blank=True, default="")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_code = models.PositiveIntegerField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True, default="")
    # Frames in both directions, counted even after the stored ones reached their bound.
    frame_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "-id"], name="mock_connection_newest")]

    def __str__(self) -> str:
        return f"mock connection {self.pk} to {self.endpoint_id}"


class MockFrameDirection(models.TextChoices):
    IN = "in"  # client -> mock
    OUT = "out"  # mock -> client


class MockFrame(models.Model):
    connection = models.ForeignKey(MockConnection, on_delete=models.CASCADE, related_name="frames")
    seq = models.PositiveIntegerField()
    direction = models.CharField(max_length=3, choices=MockFrameDirection.choices)
    binary = models.BooleanField(default=False)
    # Text as sent; a binary frame as Base64. Cut to MOCK_LOG_FRAME_BYTES (``truncated``).
    body = models.TextField(blank=True, default="")
    truncated = models.BooleanField(default=False)
    # The documented message it was matched as or sent as ("" when none).
    message = models.CharField(max_length=200, blank=True, default="")
    # What the mock did about it: "reply", "echo", "error", "ignored", "dropped", "invalid", ...
    note = models.CharField(max_length=40, blank=True, default="")
    # Socket.IO: the event the frame carries (an attachment: the event it belongs to).
    event = models.CharField(max_length=200, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["connection", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "seq"], name="mock_frame_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"frame {self.seq} of {self.connection_id}"
