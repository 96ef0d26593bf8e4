"""The workspace's stored data: projects, members, folders, endpoints, saved messages, tags, tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from core.fields import OrderedJSONField
from endpoints.contracts.examples import default_body


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


class Protocol(models.TextChoices):
    WEBSOCKET = "websocket", "WebSocket"
    SOCKETIO = "socketio", "Socket.IO"


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The Auth tab every endpoint inherits unless a folder or the endpoint sets its own
    # (endpoints.auth; {} is none).
    auth = models.JSONField(default=dict, blank=True)
    # Sequence number of the project's last live event (see endpoints.activity.events); the row lock
    # taken to advance it makes events commit in sequence order.
    last_event_seq = models.PositiveBigIntegerField(default=0, editable=False)

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


class Edited(models.Model):
    """A row members edit under a version check (core.versioning): the version a write must
    name, when the row was made and last changed, and by whom."""

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class Folder(Edited):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    # The Auth tab of what is inside, unless a subfolder or an endpoint overrides it
    # (endpoints.auth; {} inherits).
    auth = models.JSONField(default=dict, blank=True)

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


class HandshakeFields(models.Model):
    """What connecting needs, shared by an endpoint and a debug session's draft.

    endpoints.handshake.HANDSHAKE_FIELDS lists these fields; add one here and there.
    """

    url = models.CharField(max_length=2048)
    # Ordered rows of {name, value, enabled, description}; order is part of the handshake.
    params = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=list, blank=True)
    cookies = models.JSONField(default=list, blank=True)
    subprotocols = models.JSONField(default=list, blank=True)
    # Connection settings; see endpoints.handshake.DEFAULT_SETTINGS for defaults and bounds.
    connection_settings = models.JSONField(default=dict, blank=True)
    # The Auth tab (endpoints.auth): {} inherits from the folders and the project. Kept apart
    # from the template fields: its credentials are write-only.
    auth = models.JSONField(default=dict, blank=True)
    # "websocket", or "socketio": Socket.IO over the WebSocket transport, with its settings in
    # ``socketio`` (endpoints.handshake.clean_socketio; {} is every default).
    protocol = models.CharField(max_length=16, choices=Protocol.choices, default=Protocol.WEBSOCKET)
    socketio = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class Endpoint(HandshakeFields, Edited):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="endpoints")
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="endpoints"
    )
    name = models.CharField(max_length=200)
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
    # Refuse a send whose body violates its documented message's schema (else: send, warn).
    strict = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The AsyncAPI channel id this endpoint was imported from (endpoints.asyncapi): a re-import
    # of the same document updates it, and an export keeps the id.
    asyncapi_channel = models.CharField(max_length=200, blank=True, default="")

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


def match_any() -> dict[str, str]:
    """The match rule of a message that claims every frame of its direction."""
    return {"kind": "any"}


class MessageDirection(models.TextChoices):
    SEND = "send"  # client -> server
    RECEIVE = "receive"  # server -> client


class Message(models.Model):
    """A documented message of an endpoint: what it looks like, how a frame is recognised as
    it, and examples to send. Saved messages of earlier versions are send messages."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    position = models.PositiveIntegerField(default=0)
    # Unique in the endpoint (checked on write: a rename swap must not trip a constraint).
    name = models.CharField(max_length=200)
    direction = models.CharField(
        max_length=8, choices=MessageDirection.choices, default=MessageDirection.SEND
    )
    format = models.CharField(max_length=8, choices=MessageFormat.choices, default="text")
    description = models.TextField(blank=True, default="")
    # A JSON Schema (draft 2020-12) of the payload, for JSON messages; null: none documented.
    schema = OrderedJSONField(null=True, blank=True)
    # [{"name": ..., "body": ...}], the first is what "send" sends by default.
    examples = models.JSONField(default=list, blank=True)
    # The name of the send message of this endpoint that this receive message answers.
    reply_to = models.CharField(max_length=200, blank=True, default="")
    # How a frame is recognised as this message (endpoints.contracts.rules).
    match = models.JSONField(default=match_any, blank=True)
    # The Socket.IO event this message is ("" on WebSocket endpoints): a frame is recognised
    # by its event name and direction, and ``schema`` describes the arguments array.
    event = models.CharField(max_length=200, blank=True, default="")
    # A JSON Schema of the acknowledgement's arguments array (Socket.IO); null: no ack.
    ack_schema = OrderedJSONField(null=True, blank=True)
    # The AsyncAPI operation id this message was imported from, kept by an export.
    asyncapi_operation = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def body(self) -> str:
        """What sending the message sends unless an example is named."""
        return default_body(self.examples)


# What a message holds, as the API, the history and the row selectors read it.
MESSAGE_FIELDS = (
    "id",
    "name",
    "direction",
    "format",
    "description",
    "schema",
    "examples",
    "reply_to",
    "match",
    "event",
    "ack_schema",
)


class ProjectSchema(Edited):
    """A reusable named JSON Schema of a project, referenced from messages as
    ``{"$ref": "#/components/schemas/<name>"}``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="schemas")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    schema = OrderedJSONField(default=dict)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="project_schema_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Environment(Edited):
    """A named set of variable values (staging, production...) chosen per debug session."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="environments")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    # Offered to references as {{baseUrl}} when this environment is chosen (see docs/variables.md).
    base_url = models.CharField(max_length=2048, blank=True, default="")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "project", name="environment_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class Variable(Edited):
    """A shared variable: a project global (no environment) or one environment's value."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="variables")
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.CASCADE, related_name="variables"
    )
    name = models.CharField(max_length=100)
    initial_value = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="")
    # A secret's value never leaves the server except in the handshake/messages it is used in.
    secret = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=models.Q(environment__isnull=True),
                name="variable_unique_global_name",
            ),
            models.UniqueConstraint(
                fields=["environment", "name"],
                condition=models.Q(environment__isnull=False),
                name="variable_unique_environment_name",
            ),
        ]
        indexes = [models.Index(fields=["project", "environment", "position"])]

    def __str__(self) -> str:
        return self.name


class CurrentValue(models.Model):
    """One member's private value of a variable; only that member ever sees it."""

    variable = models.ForeignKey(Variable, on_delete=models.CASCADE, related_name="current_values")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="variable_values"
    )
    value = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variable", "user"], name="current_value_unique_user"),
        ]

    def __str__(self) -> str:
        return f"value of {self.variable_id} for {self.user_id}"


class RevisionAction(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    MOVED = "moved"
    REVERTED = "reverted"


class Revision(models.Model):
    """One recorded change to an endpoint or a folder: who, when, the field-level diff, the result.

    History is never rewritten: a revert is a new revision whose ``revert_of`` names the
    revision it restored.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    # The object's version after this change.
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=RevisionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # [{"field": ..., "old": ..., "new": ...}] in the order of endpoints.activity.history's field lists.
    changes = models.JSONField(default=list, blank=True)
    # The object as it was right after this change (endpoints.activity.history.*_snapshot).
    snapshot = models.JSONField(default=dict, blank=True)
    # A plain id, not a foreign key: deleting an endpoint's revisions stays one DELETE.
    revert_of = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="revision_endpoint_newest"),
            models.Index(fields=["folder", "-id"], name="revision_folder_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(endpoint__isnull=False, folder__isnull=True)
                | models.Q(endpoint__isnull=True, folder__isnull=False),
                name="revision_of_endpoint_or_folder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} v{self.version} of {self.endpoint_id or self.folder_id}"


class Comment(models.Model):
    """A member's Markdown comment on an endpoint; open until someone resolves it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    # Members named as @username when the comment was written (non-members stay plain text).
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["endpoint", "resolved_at", "id"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.endpoint_id}"


class ProjectEvent(models.Model):
    """A stored live event, so a socket that reconnects with ?after=N gets what it missed."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # The event as sent on the socket, minus ``seq``.
    data = models.JSONField()

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["project", "seq"], name="project_event_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} in {self.project_id}"


class Presence(models.Model):
    """One open project socket: who, in which web process (channel), with which endpoint open.

    Kept in the database so every web process sees every socket; a row whose ``seen_at`` is
    older than endpoints.activity.presence.PRESENCE_TTL belongs to a process that died and is ignored.
    """

    channel_name = models.CharField(max_length=200, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.project_id} on {self.endpoint_id}"
