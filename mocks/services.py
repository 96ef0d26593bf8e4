"""Writes of the mock: a project's mock settings (admins only, checked by the API), each
endpoint's behaviour, checked against its documented messages before it is stored."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from core.errors import ValidationFailed, VersionConflict
from core.versioning import check_version
from endpoints.activity.event_kinds import EventKind
from endpoints.activity.events import publish
from endpoints.models import Endpoint, Project, Protocol
from mocks.engine.spec import MockSpecError, normalize_spec
from mocks.models import MockBehaviour, MockSettings, new_mock_key
from mocks.selectors import documented_messages

Actor = AbstractBaseUser | AnonymousUser
HEADER_NAME_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")


def _user(actor: Actor) -> Any:
    return actor if actor.is_authenticated else None


def mock_settings_ensure(*, project: Project) -> MockSettings:
    """The project's mock settings, made (enabled, with a fresh key) on first use."""
    row, _ = MockSettings.objects.get_or_create(project=project)
    return row


@transaction.atomic
def mock_settings_update(
    *,
    project: Project,
    actor: Actor,
    enabled: bool | None = None,
    header_name: str | None = None,
    header_value: str | None = None,
) -> MockSettings:
    """Switch mocking on or off, or set (or clear, with "") the header token clients must send."""
    row = MockSettings.objects.select_for_update().get(pk=mock_settings_ensure(project=project).pk)
    name = row.header_name if header_name is None else header_name.strip()
    value = row.header_value if header_value is None else header_value
    problems: dict[str, list[str]] = {}
    if name and not set(name.lower()) <= HEADER_NAME_CHARS:
        problems["header_name"] = ["A header name: letters, digits and !#$%&'*+-.^_`|~."]
    if name and not value:
        problems["header_value"] = ["A header needs the value clients must send."]
    if any(ch in value for ch in "\r\n\x00"):
        problems["header_value"] = ["No line breaks or NUL characters."]
    if problems:
        raise ValidationFailed(problems)
    changed = []
    if enabled is not None and enabled != row.enabled:
        row.enabled = enabled
        changed.append("enabled")
    value = value if name else ""
    if (name, value) != (row.header_name, row.header_value):
        row.header_name, row.header_value = name, value
        changed.append("header")
    if changed:
        row.updated_by = _user(actor)
        row.save()
        _announce(row, actor, changed)
    return row


def _announce(row: MockSettings, actor: Actor, changed: list[str]) -> None:
    publish(
        project_id=row.project_id,
        actor=_user(actor),
        events=[
            {"kind": EventKind.MOCK_UPDATED, "mock": {"enabled": row.enabled}, "changed": changed}
        ],
    )


@transaction.atomic
def mock_key_rotate(*, project: Project, actor: Actor) -> MockSettings:
    """A new key: the old URL refuses every handshake from now on (open connections stay)."""
    row = MockSettings.objects.select_for_update().get(pk=mock_settings_ensure(project=project).pk)
    row.key = new_mock_key()
    row.updated_by = _user(actor)
    row.save()
    _announce(row, actor, ["key"])
    return row


@transaction.atomic
def mock_behaviour_update(
    *, endpoint: Endpoint, actor: Actor, spec: Any, version: int | None = None
) -> MockBehaviour:
    """Check ``spec`` against the endpoint's documented messages and store it normalised;
    ValidationFailed names the field (``rules[0].when``)."""
    try:
        normal = normalize_spec(
            spec,
            documented_messages(endpoint.pk),
            min_interval_ms=settings.MOCK_MIN_PUSH_INTERVAL_MS,
            socketio=endpoint.protocol == Protocol.SOCKETIO,
        )
    except MockSpecError as exc:
        field = f"spec.{exc.field}" if exc.field else "spec"
        raise ValidationFailed({field: [exc.reason]}) from None
    row = MockBehaviour.objects.select_for_update().filter(endpoint=endpoint).first()
    if row is None:
        if version not in (None, 0):
            raise VersionConflict(current_version=0, your_version=version)
        row = MockBehaviour.objects.create(endpoint=endpoint, spec=normal, updated_by=_user(actor))
    else:
        check_version(row, version)
        row.spec = normal
        row.version += 1
        row.updated_by = _user(actor)
        row.save()
    publish(
        project_id=endpoint.project_id,
        actor=_user(actor),
        events=[
            {
                "kind": EventKind.MOCK_BEHAVIOUR_UPDATED,
                "endpoint": {"id": endpoint.pk, "name": endpoint.name},
                "version": row.version,
            }
        ],
    )
    return row
