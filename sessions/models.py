"""Debug sessions: the editable handshake draft, one record per connection, the frame log,
the relays that hold upstream connections, and per-project extra CA certificates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from endpoints.models import HandshakeFields


class SessionState(models.TextChoices):
    IDLE = "idle"
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"
    LOST = "lost"


# A session in one of these states has an upstream connection (or an attempt) held by a relay.
ACTIVE_STATES = (SessionState.CONNECTING, SessionState.OPEN, SessionState.CLOSING)


class EventKind(models.TextChoices):
    CONNECTING = "connecting"
    OPEN = "open"
    SENT = "sent"
    RECEIVED = "received"
    ERROR = "error"
    CLOSED = "closed"
    # Control frames (sessions.relay.control): our pings and the upstream's, and their pongs.
    PING = "ping"
    PONG = "pong"
    # A repeating message started, stopped or ended (sessions.relay.timers).
    TIMER = "timer"
    # An automatic reconnect after an abnormal close is scheduled (sessions.relay.reconnect).
    RECONNECT = "reconnect"


class Direction(models.TextChoices):
    OUT = "out"  # from Switchboard to the upstream server
    IN = "in"  # from the upstream server
    NONE = ""  # status changes


class Opcode(models.TextChoices):
    TEXT = "text"
    BINARY = "binary"
    PING = "ping"
    PONG = "pong"
    NONE = ""


# Control frames carry a payload of at most this many bytes (RFC 6455 section 5.5).
CONTROL_PAYLOAD_LIMIT = 125


class FailureKind(models.TextChoices):
    """Why a connection attempt failed or a connection ended abnormally."""

    EGRESS = "egress"  # the egress policy denies the target address
    DNS = "dns"  # the host name could not be resolved
    REFUSED = "refused"  # nothing listens on the port
    NETWORK = "network"  # unreachable, reset, other socket errors
    TLS = "tls"  # certificate or TLS handshake failure
    TIMEOUT = "timeout"  # no handshake within the open timeout
    HANDSHAKE = "handshake"  # the server answered with an HTTP status other than 101
    REDIRECT = "redirect"  # a redirect that is not followed (or a denied hop)
    PROTOCOL = "protocol"  # the answer was not a valid WebSocket handshake
    RELAY = "relay"  # the relay could not take the connection (capacity, shutdown)
    LOST = "lost"  # the relay holding the connection stopped
    CANCELLED = "cancelled"  # disconnected while connecting
    # A Socket.IO server that speaks the other major version than the endpoint's setting
    SOCKETIO_VERSION = "socketio_version"
    SOCKETIO_REFUSED = "connect_error"  # the Socket.IO server refused the namespace


class ClosedBy(models.TextChoices):
    CLIENT = "client"  # the session's owner (disconnect)
    UPSTREAM = "upstream"  # the upstream server sent the close frame first
    RELAY = "relay"  # Switchboard itself: idle timeout, shutdown, limits, protocol errors
    NETWORK = "network"  # the TCP connection ended without a close frame (1006)


class Relay(models.Model):
    """A process that holds upstream connections; commands reach it on ``channel_name``."""

    channel_name = models.CharField(max_length=200, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    mode = models.CharField(max_length=10)  # "embedded" or "worker"
    capacity = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.mode} relay {self.host}:{self.pid}"


class DebugSession(HandshakeFields):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debug_sessions"
    )
    project = models.ForeignKey(
        "endpoints.Project", on_delete=models.CASCADE, related_name="debug_sessions"
    )
    # The endpoint the draft was copied from, and where "save back" writes.
    endpoint = models.ForeignKey(
        "endpoints.Endpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="debug_sessions",
    )
    name = models.CharField(max_length=200, blank=True, default="")
    # The draft: the handshake fields of an endpoint (HandshakeFields), the URL may be empty.
    url = models.CharField(max_length=2048, blank=True, default="")
    # Where {{variables}} get their values (with the project globals); part of the handshake.
    environment = models.ForeignKey(
        "endpoints.Environment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="debug_sessions",
    )
    # Values for this session only ({name: value}); they win over every stored value. Not part
    # of the handshake: sends read them each time, the handshake read them at connect.
    variables = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=SessionState.choices, default=SessionState.IDLE)
    relay = models.ForeignKey(
        Relay, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    relay_channel = models.CharField(max_length=200, blank=True, default="")
    connection_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # API calls and live viewers touch this; the idle timeout counts from it.
    last_activity_at = models.DateTimeField(default=timezone.now)
    # A connection of a scenario run (scenarios.RunSession says which): read through the run,
    # left out of its owner's session list, never picked up by the endpoint editor.
    for_run = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "-last_activity_at"]),
            models.Index(fields=["relay", "state"]),
        ]

    def __str__(self) -> str:
        return self.name or f"session {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class Connection(models.Model):
    """One connect of a session: what was sent, what came back, how it ended."""

    session = models.ForeignKey(DebugSession, on_delete=models.CASCADE, related_name="connections")
    number = models.PositiveIntegerField()
    relay_name = models.CharField(max_length=255, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The request actually sent (after variables, disabled rows dropped).
    request_url = models.TextField(blank=True, default="")
    request_headers = models.JSONField(default=list, blank=True)  # [[name, value], ...]
    request_cookies = models.JSONField(default=list, blank=True)  # [[name, value], ...]
    subprotocols_offered = models.JSONField(default=list, blank=True)
    remote_address = models.CharField(max_length=100, blank=True, default="")
    # The response: 101 with headers, or a refused handshake's status, headers and body start.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=list, blank=True)
    response_body = models.TextField(blank=True, default="")
    subprotocol = models.CharField(max_length=255, blank=True, default="")
    extensions = models.JSONField(default=list, blank=True)
    failure_kind = models.CharField(
        max_length=20, choices=FailureKind.choices, blank=True, default=""
    )
    failure_detail = models.TextField(blank=True, default="")
    close_code = models.PositiveIntegerField(null=True, blank=True)
    close_reason = models.CharField(max_length=500, blank=True, default="")
    closed_by = models.CharField(max_length=10, choices=ClosedBy.choices, blank=True, default="")
    # The client certificate offered for mutual TLS (sessions.certificates.presented), or null.
    client_certificate = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="connection_unique_number"),
        ]

    def __str__(self) -> str:
        return f"connection {self.number} of session {self.session_id}"


class Event(models.Model):
    """One entry of a session's log. ``seq`` is gap-free per session, assigned by the relay."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(
        DebugSession, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    connection_number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True, default="")
    created_at = models.DateTimeField()
    opcode = models.CharField(max_length=6, choices=Opcode.choices, blank=True, default="")
    # Full size of the message in bytes, even when the stored copy is truncated.
    size = models.PositiveIntegerField(default=0)
    # Text messages and status descriptions. A text message holding NUL (which PostgreSQL text
    # cannot store) is kept UTF-8 encoded in ``data`` instead, with ``text`` null.
    text = models.TextField(null=True, blank=True)
    data = models.BinaryField(null=True, blank=True)
    truncated = models.BooleanField(default=False)
    # Structured details of status events: close code/reason/by, failure kind, status...
    info = models.JSONField(null=True, blank=True)
    # The contract check of a frame of a session opened from an endpoint
    # (endpoints.contracts), ``contract``: "" not checked, "valid", "invalid" or "undocumented"; the
    # documented message it was recognised as ("" for none) and what is wrong with it
    # ([{"path": JSON Pointer, "reason": ...}], bounded).
    contract = models.CharField(max_length=12, blank=True, default="", db_default="")
    message = models.CharField(max_length=200, blank=True, default="", db_default="")
    problems = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="event_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} of session {self.session_id}"


class ProjectCABundle(models.Model):
    """Extra CA certificates (PEM) trusted for wss:// upstreams of one project."""

    project = models.OneToOneField(
        "endpoints.Project", on_delete=models.CASCADE, related_name="ca_bundle"
    )
    pem = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"CA bundle of project {self.project_id}"


class ClientCertificate(models.Model):
    """A client certificate presented to the project's wss:// upstreams whose host matches
    ``host_pattern`` (sessions.certificates). The chain and private key are kept only inside
    ``sealed`` (core.encryption); the API shows what the other fields say."""

    project = models.ForeignKey(
        "endpoints.Project", on_delete=models.CASCADE, related_name="client_certificates"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    host_pattern = models.CharField(max_length=270)
    sealed = models.TextField()
    subject = models.TextField()
    issuer = models.TextField()
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    fingerprint = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["host_pattern", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "host_pattern"], name="client_certificate_unique_pattern"
            ),
        ]

    def __str__(self) -> str:
        return f"client certificate for {self.host_pattern} in project {self.project_id}"
