"""How debug sessions are read: each function answers in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.db.models import OuterRef, Q, QuerySet, Subquery

from core.errors import NotFound, ValidationFailed
from endpoints.models import Message, Project, Variable
from sessions.certificates import choose
from sessions.models import (
    ACTIVE_STATES,
    ClientCertificate,
    Connection,
    DebugSession,
    Direction,
    Event,
    EventKind,
    ProjectCABundle,
    SessionState,
)


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _last_seq() -> Subquery:
    return Subquery(Event.objects.filter(session=OuterRef("pk")).order_by("-seq").values("seq")[:1])


def sessions_of_user(
    *, user: User, project_id: int | None = None, state: str | None = None
) -> QuerySet[DebugSession]:
    """The caller's sessions in projects they are still a member of, most recently used first;
    not the connections of their scenario runs (read through the run)."""
    queryset = (
        DebugSession.objects.filter(owner=user, project__memberships__user=user, for_run=False)
        .select_related("relay")
        .annotate(last_seq=_last_seq())
        .order_by("-last_activity_at", "-pk")
    )
    if project_id is not None:
        queryset = queryset.filter(project_id=project_id)
    if state is not None:
        if state == "active":
            queryset = queryset.filter(state__in=ACTIVE_STATES)
        elif state in SessionState.values:
            queryset = queryset.filter(state=state)
        else:
            raise ValidationFailed(
                {"state": [f"Use one of {', '.join(SessionState.values)} or active."]}
            )
    return queryset


def session_get(*, user: User, session_id: Any) -> DebugSession:
    """The caller's own session; anyone else's (or an unknown id) is a 404."""
    if not user.is_authenticated:
        raise NotFound()
    session = (
        DebugSession.objects.filter(
            pk=_as_int(session_id), owner=user, project__memberships__user=user
        )
        .select_related("relay", "project")
        .annotate(last_seq=_last_seq())
        .first()
    )
    if session is None:
        raise NotFound()
    return session


def sessions_secret_names(*, sessions: Sequence[DebugSession]) -> dict[int, set[str]]:
    """Per session with values of its own: the names that are secret among its project's
    globals or in its environment (such values are never shown). One query, or none."""
    with_values = [session for session in sessions if session.variables]
    if not with_values:
        return {}
    rows = list(
        Variable.objects.filter(
            Q(environment__isnull=True)
            | Q(environment_id__in={s.environment_id for s in with_values if s.environment_id}),
            project_id__in={s.project_id for s in with_values},
            secret=True,
        ).values_list("project_id", "environment_id", "name")
    )
    return {
        session.pk: {
            name
            for project_id, environment_id, name in rows
            if project_id == session.project_id and environment_id in (None, session.environment_id)
        }
        for session in with_values
    }


def session_connection(*, session: DebugSession, number: int | None = None) -> Connection | None:
    """The session's connection ``number``, by default the latest."""
    number = session.connection_count if number is None else number
    if not number:
        return None
    return Connection.objects.filter(session=session, number=number).first()


def session_connections(*, session: DebugSession) -> QuerySet[Connection]:
    return Connection.objects.filter(session=session).order_by("number")


def session_events(
    *,
    session: DebugSession,
    after: int = 0,
    limit: int = 100,
    direction: str | None = None,
    kind: list[str] | None = None,
    text: str | None = None,
    connection: int | None = None,
    contract: str | None = None,
    event: str | None = None,
    hide_heartbeats: bool = False,
) -> tuple[list[Event], bool]:
    """Events with ``seq > after`` matching the filters, in order; and whether more follow.
    ``event``: Socket.IO entries of this event name (its emits, receipts and acks);
    ``hide_heartbeats``: without Engine.IO pings and pongs."""
    errors: dict[str, list[str]] = {}
    queryset = Event.objects.filter(session=session, seq__gt=after)
    if direction is not None:  # given empty is a mistake too
        if direction not in (Direction.IN, Direction.OUT):
            errors["direction"] = ["Use in (from the server) or out (sent)."]
        queryset = queryset.filter(direction=direction)
    if kind:
        unknown = [k for k in kind if k not in EventKind.values]
        if unknown:
            errors["kind"] = [
                f"Unknown kind {', '.join(unknown)}; use {', '.join(EventKind.values)}."
            ]
        queryset = queryset.filter(kind__in=kind)
    if text and "\x00" in text:
        errors["q"] = ["NUL characters are not allowed."]  # PostgreSQL text cannot hold them
    elif text:
        queryset = queryset.filter(text__icontains=text)
    if connection is not None:
        queryset = queryset.filter(connection_number=connection)
    if contract is not None:
        queryset = queryset.filter(contract=contract)
    if event is not None:
        queryset = queryset.filter(info__sio__event=event)
    if hide_heartbeats:
        queryset = queryset.exclude(info__sio__type__in=["ping", "pong"])
    if errors:
        raise ValidationFailed(errors)
    rows = list(queryset.order_by("seq")[: limit + 1])
    return rows[:limit], len(rows) > limit


def events_between(*, session_id: int, after: int, before: int | None, limit: int) -> list[Event]:
    """Events with ``after < seq < before`` in order (the live stream's replay and gap filling)."""
    queryset = Event.objects.filter(session_id=session_id, seq__gt=after)
    if before is not None:
        queryset = queryset.filter(seq__lt=before)
    return list(queryset.order_by("seq")[:limit])


def event_get(*, session: DebugSession, seq: Any) -> Event:
    event = Event.objects.filter(session=session, seq=_as_int(seq)).first()
    if event is None:
        raise NotFound(f"No event {seq} in this session.")
    return event


def event_documented(*, session: DebugSession, event: Event) -> dict[str, Any] | None:
    """The documented message ``event`` was recognised as, from the session's endpoint as it
    is now (name, direction, format, description, schema); None for none. One query, or none."""
    if not event.message or session.endpoint_id is None:
        return None
    row = (
        Message.objects.filter(endpoint_id=session.endpoint_id, name=event.message)
        .values("name", "direction", "format", "description", "schema")
        .first()
    )
    return dict(row) if row is not None else None


def project_ca_bundle(*, project: Project) -> ProjectCABundle:
    bundle = ProjectCABundle.objects.filter(project=project).first()
    if bundle is None:
        raise NotFound("This project has no CA bundle.")
    return bundle


def client_certificates(*, project: Project) -> list[ClientCertificate]:
    return list(ClientCertificate.objects.filter(project=project).select_related("created_by"))


def client_certificate_get(*, project: Project, certificate_id: int) -> ClientCertificate:
    found = (
        ClientCertificate.objects.filter(project=project, pk=certificate_id)
        .select_related("created_by")
        .first()
    )
    if found is None:
        raise NotFound("No such client certificate in this project.")
    return found


def client_certificate_for(*, project_id: int, url: str) -> ClientCertificate | None:
    """The project's client certificate for a wss:// URL's host and port (the most specific
    pattern), or None; one query for a wss:// URL, none otherwise."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "wss" or not parts.hostname:
        return None
    candidates = list(ClientCertificate.objects.filter(project_id=project_id))
    return choose(candidates, parts.hostname, parts.port or 443) if candidates else None
