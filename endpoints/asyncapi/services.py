"""Importing an AsyncAPI document into a folder: all of it in one transaction, or nothing.

Every row is written by the service that writes it for the API (history, live events, the
same checks), so an import is what a member making the same changes by hand would make. A
dry run does the same writes and rolls them back: what it lists is exactly what an import
would do. Matching by the stored channel and operation ids makes a re-import update what the
last one made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import ValidationFailed, flatten_field_errors
from endpoints.activity import recording
from endpoints.asyncapi import loading, reading, v2
from endpoints.asyncapi.addresses import pointer_segment
from endpoints.contracts.schemas import referenced_names
from endpoints.environments import services as environment_services
from endpoints.models import (
    Endpoint,
    Environment,
    Folder,
    Membership,
    Message,
    Project,
    ProjectSchema,
    Variable,
)
from endpoints.schemas import services as schema_services
from endpoints.tree import services as tree_services
from endpoints.tree.serializers import EndpointInSerializer


@dataclass(frozen=True)
class ImportItem:
    kind: str  # schema | environment | variable | folder | endpoint
    name: str
    outcome: str  # created | updated | unchanged | skipped
    where: str
    reason: str = ""


@dataclass
class ImportReport:
    version: str
    dry_run: bool
    items: list[ImportItem] = field(default_factory=list)
    unsupported: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, name: str, outcome: str, where: str, reason: str = "") -> None:
        self.items.append(ImportItem(kind, name, outcome, where, reason))


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _document_refused(exc: loading.DocumentError) -> ValidationFailed:
    """The 400 of a document that cannot be imported: each problem's place and reason."""
    lines = [f"{where}: {what}" for where, what in exc.problems]
    return ValidationFailed({"document": lines}, f"The document cannot be imported: {lines[0]}")


def _prefixed(exc: ValidationFailed, where: str) -> ValidationFailed:
    fields = exc.extra.get("fields", {})
    lines = [f"{where}: {field}: {' '.join(map(str, texts))}" for field, texts in fields.items()]
    lines = lines or [f"{where}: {exc.detail}"]
    return ValidationFailed({"document": lines}, f"The document cannot be imported: {lines[0]}")


def asyncapi_import(
    *,
    project: Project,
    actor: User,
    text: str,
    folder_id: int | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the AsyncAPI 3.0 or 2.6 document ``text`` (YAML or JSON) under ``folder_id``
    (None: the project's root). ValidationFailed (400, ``fields.document`` naming each place)
    when it cannot be, with nothing written."""
    try:
        document = loading.load_document(text)
        version = loading.check_valid(document)
        if version.startswith("2."):
            document = v2.as_v3(document)
        model = reading.read_document(document, version)
    except loading.DocumentError as exc:
        raise _document_refused(exc) from None
    folder = None
    if folder_id is not None:
        folder = Folder.objects.filter(project=project, pk=folder_id).first()
        if folder is None:
            raise ValidationFailed({"folder": [f"No folder {folder_id} in this project."]})
    try:
        with transaction.atomic():
            report = _apply(project, actor, folder, model, dry_run)
            if dry_run:
                raise _DryRun(report)
    except _DryRun as done:
        return done.report
    return report


def _apply(
    project: Project, actor: User, folder: Folder | None, model: reading.ImportModel, dry_run: bool
) -> ImportReport:
    report = ImportReport(model.version, dry_run, unsupported=list(model.notes))
    _import_schemas(project, actor, model, report)
    _import_environments(project, actor, model, report)
    folders = _Folders(project, actor, folder, report)
    _import_endpoints(project, actor, folders, model, report)
    return report


def _schema_order(schemas: dict[str, tuple[Any, str]]) -> list[str]:
    """Names with the schemas each refers to first (a circle keeps document order)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:
            return
        visiting.add(name)
        for other in sorted(referenced_names(schemas[name][0])):
            if other in schemas:
                visit(other)
        order.append(name)

    for name in schemas:
        visit(name)
    return order


def _import_schemas(
    project: Project, actor: User, model: reading.ImportModel, report: ImportReport
) -> None:
    existing = {row.name: row for row in ProjectSchema.objects.filter(project=project)}
    for name in _schema_order(model.schemas):
        schema, description = model.schemas[name]
        where = f"/components/schemas/{pointer_segment(name)}"
        row = existing.get(name)
        try:
            if row is None:
                schema_services.schema_create(
                    project=project, actor=actor, name=name, schema=schema, description=description
                )
                report.add("schema", name, "created", where)
            elif row.schema == schema and row.description == description:
                report.add("schema", name, "unchanged", where)
            else:
                schema_services.schema_update(
                    project_schema=row, actor=actor, schema=schema, description=description
                )
                report.add("schema", name, "updated", where)
        except ValidationFailed as exc:
            raise _prefixed(exc, where) from None


def _import_environments(
    project: Project, actor: User, model: reading.ImportModel, report: ImportReport
) -> None:
    environments = {env.name.lower(): env for env in Environment.objects.filter(project=project)}
    for server in model.servers:
        where = f"/servers/{pointer_segment(server.key)}"
        if server.from_url:
            continue  # the origin of an endpoint's own URL, not an environment
        environment = environments.get(server.name.lower())
        try:
            if environment is None:
                environment = environment_services.environment_create(
                    project=project, actor=actor, name=server.name, base_url=server.base_url
                )
                environments[server.name.lower()] = environment
                report.add("environment", server.name, "created", where)
            elif environment.base_url == server.base_url:
                report.add("environment", server.name, "unchanged", where)
            else:
                environment = environment_services.environment_update(
                    environment=environment, actor=actor, base_url=server.base_url
                )
                report.add("environment", server.name, "updated", where)
            _import_variables(project, actor, environment, server, where, report)
        except ValidationFailed as exc:
            raise _prefixed(exc, where) from None


def _import_variables(
    project: Project,
    actor: User,
    environment: Environment,
    server: reading.ServerSpec,
    where: str,
    report: ImportReport,
) -> None:
    existing = {v.name: v for v in Variable.objects.filter(environment=environment)}
    for name, value in server.variables.items():
        at = f"{where}/variables/{pointer_segment(name)}"
        variable = existing.get(name)
        label = f"{environment.name}: {name}"
        if variable is None:
            environment_services.variable_create(
                project=project,
                actor=actor,
                name=name,
                environment_id=environment.pk,
                initial_value=value,
            )
            report.add("variable", label, "created", at)
        elif variable.secret:
            report.add("variable", label, "skipped", at, "A secret's value is never replaced.")
        elif variable.initial_value == value:
            report.add("variable", label, "unchanged", at)
        else:
            environment_services.variable_update(
                variable=variable, actor=actor, initial_value=value
            )
            report.add("variable", label, "updated", at)


class _Folders:
    """Folders below the import's target by path of names, made when missing."""

    def __init__(
        self, project: Project, actor: User, root: Folder | None, report: ImportReport
    ) -> None:
        self.project, self.actor, self.root, self.report = project, actor, root, report
        self.found: dict[tuple[str, ...], int | None] = {(): root.pk if root else None}
        children: dict[int | None, list[int]] = {}
        self.names: dict[tuple[int | None, str], int] = {}
        for pk, parent, name in Folder.objects.filter(project=project).values_list(
            "pk", "parent_id", "name"
        ):
            children.setdefault(parent, []).append(pk)
            self.names.setdefault((parent, name), pk)
        subtree: set[int | None] = set()
        stack: list[int | None] = [root.pk if root else None]
        while stack:
            current = stack.pop()
            subtree.add(current)
            stack.extend(children.get(current, []))
        self.subtree = subtree

    def get(self, path: list[str], where: str) -> int | None:
        key: tuple[str, ...] = ()
        parent = self.found[()]
        for name in path:
            key = (*key, name)
            if key not in self.found:
                existing = self.names.get((parent, name))
                if existing is None:
                    made = tree_services.folder_create(
                        project=self.project, actor=self.actor, name=name, parent_id=parent
                    )
                    existing = made.pk
                    self.names[(parent, name)] = existing
                    self.subtree.add(existing)
                    self.report.add("folder", "/".join(key), "created", where)
                self.found[key] = existing
            parent = self.found[key]
        return parent


def _members(project: Project) -> dict[str, int]:
    return {
        username.lower(): user_id
        for username, user_id in Membership.objects.filter(project=project).values_list(
            "user__username", "user_id"
        )
    }


def _import_endpoints(
    project: Project,
    actor: User,
    folders: _Folders,
    model: reading.ImportModel,
    report: ImportReport,
) -> None:
    members = _members(project)
    matches: dict[str, Endpoint] = {}
    for endpoint in (
        Endpoint.objects.filter(project=project).exclude(asyncapi_channel="").order_by("pk")
    ):
        if endpoint.folder_id in folders.subtree:
            matches.setdefault(endpoint.asyncapi_channel, endpoint)
    for spec in model.endpoints:
        data: dict[str, Any] = {**spec.data, "folder": folders.get(spec.folder_path, spec.where)}
        if spec.responsible:
            assignee = members.get(spec.responsible.lower())
            if assignee is None:
                report.unsupported.append(
                    (
                        f"{spec.where}/x-switchboard-responsible",
                        f"{spec.responsible!r} is not a member of this project: nobody assigned.",
                    )
                )
            data["assignee"] = assignee
        existing = matches.get(spec.key)
        stored = {}
        if existing is not None:
            stored = dict(Message.objects.filter(endpoint=existing).values_list("name", "pk"))
        messages = []
        for message in spec.messages:
            item = dict(message.data)
            if message.data["name"] in stored:
                item["id"] = stored[message.data["name"]]
            messages.append(item)
        data["messages"] = messages
        serializer = EndpointInSerializer(data=data)
        try:
            if not serializer.is_valid():
                raise ValidationFailed(flatten_field_errors(serializer.errors))
            checked = _as_written(dict(serializer.validated_data), data)
            if existing is None:
                endpoint = tree_services.endpoint_create(project=project, actor=actor, data=checked)
                Endpoint.objects.filter(pk=endpoint.pk).update(asyncapi_channel=spec.key)
                report.add("endpoint", spec.data["name"], "created", spec.where)
            else:
                endpoint = _update(existing, actor, checked, spec, report)
        except ValidationFailed as exc:
            raise _prefixed(exc, spec.where) from None
        operations = {m.data["name"]: m.operation_id for m in spec.messages}
        rows = list(Message.objects.filter(endpoint=endpoint).only("pk", "name"))
        for row in rows:
            row.asyncapi_operation = operations.get(row.name, "")
        Message.objects.bulk_update(rows, ["asyncapi_operation"])


def _as_written(checked: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The checked data with descriptions as the document wrote them: the API trims the
    whitespace around text fields, and a round trip must keep a Markdown description's final
    newline."""
    if isinstance(data.get("description"), str):
        checked["description"] = data["description"]
    for item, written in zip(checked.get("messages", []), data.get("messages", []), strict=False):
        if isinstance(written.get("description"), str):
            item["description"] = written["description"]
    return checked


def _operations(endpoint: Endpoint) -> dict[str, str]:
    return dict(Message.objects.filter(endpoint=endpoint).values_list("name", "asyncapi_operation"))


def _update(
    existing: Endpoint,
    actor: User,
    data: dict[str, Any],
    spec: reading.EndpointSpec,
    report: ImportReport,
) -> Endpoint:
    """``existing`` updated from ``data``; when that changes nothing, the update (its new
    version, history entry and event) is rolled back and the endpoint reported unchanged."""
    before = recording.endpoint_snapshots([existing.pk])[existing.pk]
    operations = {m.data["name"]: m.operation_id for m in spec.messages}
    savepoint = transaction.savepoint()
    endpoint = tree_services.endpoint_update(endpoint=existing, actor=actor, data=data)
    after = recording.endpoint_snapshots([existing.pk])[existing.pk]
    if after == before and _operations(existing) == operations:
        transaction.savepoint_rollback(savepoint)
        report.add("endpoint", spec.data["name"], "unchanged", spec.where)
        return existing
    transaction.savepoint_commit(savepoint)
    report.add("endpoint", spec.data["name"], "updated", spec.where)
    return endpoint
