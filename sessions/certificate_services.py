"""How a project's client certificates (mutual TLS) change: checked and sealed on upload
(sessions.certificates), one per host pattern, announced to members without the key."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import ValidationFailed
from endpoints.activity import events
from endpoints.activity.event_kinds import EventKind
from endpoints.models import Project
from sessions.certificates import certificate_check, parse_host_pattern, pattern_text
from sessions.models import ClientCertificate


def _certificate_event(kind: EventKind, certificate: ClientCertificate) -> dict[str, Any]:
    return {
        "kind": kind,
        "client_certificate": {
            "id": certificate.pk,
            "host_pattern": certificate.host_pattern,
            "fingerprint": certificate.fingerprint,
        },
    }


def client_certificate_create(
    *,
    project: Project,
    actor: User,
    host_pattern: str,
    certificate: str,
    private_key: str,
    passphrase: str = "",
    name: str = "",
) -> ClientCertificate:
    """Check and store a certificate chain with its key, sealed (sessions.certificates); one
    per host pattern. Every problem is a ValidationFailed before anything is stored."""
    pattern = pattern_text(parse_host_pattern(host_pattern))
    checked = certificate_check(
        certificate=certificate, private_key=private_key, passphrase=passphrase
    )
    with transaction.atomic():
        if ClientCertificate.objects.filter(project=project, host_pattern=pattern).exists():
            raise ValidationFailed(
                {"host_pattern": [f"This project already has a certificate for {pattern}."]}
            )
        stored = ClientCertificate.objects.create(
            project=project,
            name=name,
            host_pattern=pattern,
            sealed=checked.sealed,
            subject=checked.subject,
            issuer=checked.issuer,
            not_before=checked.not_before,
            not_after=checked.not_after,
            fingerprint=checked.fingerprint,
            created_by=actor,
        )
        events.publish(
            project_id=project.pk,
            actor=actor,
            events=[_certificate_event(EventKind.CLIENT_CERTIFICATE_CREATED, stored)],
        )
    return stored


def client_certificate_delete(*, certificate: ClientCertificate, actor: User) -> None:
    with transaction.atomic():
        event = _certificate_event(EventKind.CLIENT_CERTIFICATE_DELETED, certificate)
        certificate.delete()
        events.publish(project_id=certificate.project_id, actor=actor, events=[event])
