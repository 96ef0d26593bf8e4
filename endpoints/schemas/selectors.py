"""Reads of project schemas, the messages that refer to them, and logged frames to generate from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from core.errors import NotFound
from endpoints.contracts.schemas import COMPONENTS_PREFIX, referenced_names
from endpoints.models import Message, Project, ProjectSchema
from endpoints.rows import as_int
from sessions.models import Event


def project_schemas(*, project: Project) -> QuerySet[ProjectSchema]:
    return ProjectSchema.objects.filter(project=project).select_related("updated_by")


def schema_get(*, project: Project, schema_id: int | str) -> ProjectSchema:
    found = project_schemas(project=project).filter(pk=as_int(schema_id)).first()
    if found is None:
        raise NotFound()
    return found


def schema_contents(*, project: Project) -> dict[str, Any]:
    """``{name: schema}`` of every schema of ``project``, as message schemas see them."""
    return dict(ProjectSchema.objects.filter(project=project).values_list("name", "schema"))


@dataclass(frozen=True)
class ReferringMessage:
    """A documented message whose schema names project schemas, with what a re-check needs."""

    endpoint_id: int
    endpoint_name: str
    name: str
    format: str
    schema: Any
    examples: list[dict[str, Any]]
    refers_to: frozenset[str]

    def usage(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint_id,
            "endpoint_name": self.endpoint_name,
            "message": self.name,
        }

    def describe(self) -> str:
        return f"message {self.name!r} of endpoint {self.endpoint_name!r}"


def referring_messages(*, project: Project) -> list[ReferringMessage]:
    """The messages of ``project`` whose schema refers to a project schema; one query.

    Only schemas whose text holds ``#/components/schemas/`` leave the database."""
    rows = (
        Message.objects.filter(endpoint__project=project, schema__isnull=False)
        .annotate(schema_text=Cast("schema", TextField()))
        .filter(schema_text__contains=COMPONENTS_PREFIX)
        .order_by("endpoint__name", "endpoint_id", "position", "id")
        .values_list("endpoint_id", "endpoint__name", "name", "format", "schema", "examples")
    )
    found = []
    for endpoint_id, endpoint_name, name, fmt, schema, examples in rows:
        names = referenced_names(schema)
        if names:
            found.append(
                ReferringMessage(
                    endpoint_id,
                    endpoint_name,
                    name,
                    fmt,
                    schema,
                    list(examples or []),
                    frozenset(names),
                )
            )
    return found


def schema_usage(
    *, project: Project, names: Iterable[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``{schema name: [{endpoint, endpoint_name, message}]}``: the messages referring to each
    schema directly (``names`` narrows the answer, not the query); one query."""
    wanted = set(names) if names is not None else None
    usage: dict[str, list[dict[str, Any]]] = {}
    for message in referring_messages(project=project):
        for name in message.refers_to:
            if wanted is None or name in wanted:
                usage.setdefault(name, []).append(message.usage())
    return usage


def logged_frame(*, project: Project, user: User, session_id: int, seq: int) -> Event:
    """Entry ``seq`` of one of ``user``'s own sessions in ``project``; anything else is a 404."""
    frame = (
        Event.objects.filter(
            session_id=session_id, session__owner=user, session__project=project, seq=seq
        )
        .only("kind", "opcode", "text", "data", "truncated")
        .first()
    )
    if frame is None:
        raise NotFound(f"No entry {seq} in a session {session_id} of yours in this project.")
    return frame
