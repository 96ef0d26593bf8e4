"""A seeded project that gives the API fuzzer real ids to hit, rebuilt when the fuzzer breaks it.

The fuzzer is an admin of the project, so it may delete the project, the folder, the endpoint
and so on. Before every generated request ``World.ensure`` checks (a dozen indexed ``EXISTS``)
that each seeded object is still there and that the fuzzer is still an admin; if not, it seeds
a whole new project and the ids change. Requests then get their path parameters from
``World.ids``, so most of them reach a handler instead of ending as a trivial 404.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import AccessToken
from accounts.tokens import token_create
from docs_app import services as docs_services
from docs_app.models import ShareLink
from endpoints.activity.services import comment_create
from endpoints.environments.services import environment_create, variable_create
from endpoints.models import (
    Comment,
    Endpoint,
    Environment,
    Folder,
    Membership,
    ProjectSchema,
    Revision,
    Role,
    Tag,
    Variable,
)
from endpoints.projects.services import member_add, project_create
from endpoints.schemas.services import schema_create
from endpoints.tree.services import endpoint_create, endpoint_update, folder_create
from scenarios.models import Scenario
from scenarios.services import scenario_create
from sessions import services as session_services
from sessions.models import DebugSession, Event, ProjectCABundle
from tests.factories import log_event

User = get_user_model()
_generation = itertools.count(1)

# Path parameter name -> key in World.ids (the names the schema uses).
PATH_PARAMETERS = (
    "project_id",
    "token_id",
    "user_id",
    "folder_id",
    "endpoint_id",
    "tag_id",
    "link_id",
    "environment_id",
    "variable_id",
    "revision_id",
    "comment_id",
    "session_id",
    "seq",
    "schema_id",
    "scenario_id",
)


@dataclass
class World:
    """The fuzzer's account and the ids of everything seeded for it."""

    fuzzer: Any
    token: str  # the fuzzer's bearer token (never the one `token_id` points at)
    editor: Any
    upstream_url: str  # a loopback echo server the seeded session connects to
    ca_pem: str
    ids: dict[str, int] = field(default_factory=dict)
    rebuilds: int = 0

    @classmethod
    def create(cls, *, upstream_url: str, ca_pem: str) -> World:
        fuzzer = User.objects.create_user("fuzzer", "fuzzer@example.test", "pw-fuzz-correct")
        editor = User.objects.create_user("fuzz-editor", "editor@example.test", "pw-fuzz-editor")
        _, secret = token_create(user=fuzzer, name="fuzzer")
        world = cls(
            fuzzer=fuzzer, token=secret, editor=editor, upstream_url=upstream_url, ca_pem=ca_pem
        )
        world.seed()
        return world

    def seed(self) -> None:
        """A new project with one of everything the API has a path parameter for."""
        n = next(_generation)
        actor = self.fuzzer
        project = project_create(actor=actor, name=f"Fuzzed {n}", description="Seeded")
        member_add(project=project, user_ref=self.editor.pk, role=Role.EDITOR)
        folder = folder_create(project=project, actor=actor, name="Market data")
        endpoint = endpoint_create(
            project=project,
            actor=actor,
            data={
                "name": "Ticker",
                "url": "ws://127.0.0.1:9/{{path}}",
                "folder": folder.pk,
                "params": [{"name": "symbols", "value": "BTC"}],
                "headers": [{"name": "X-Key", "value": "{{key}}"}],
                "messages": [
                    {"name": "hello", "format": "json", "body": '{"op": "hello"}'},
                    {"name": "bytes", "format": "hex", "body": "de ad be ef"},
                ],
                "tags": ["market"],
                "description": "Live **ticks**.",
            },
        )
        endpoint_update(endpoint=endpoint, actor=actor, data={"status": "testing"})
        environment = environment_create(
            project=project, actor=actor, name="Staging", base_url="ws://127.0.0.1:9"
        )
        variable = variable_create(
            project=project, actor=actor, name="key", initial_value="k1", description="API key"
        )
        variable_create(
            project=project,
            actor=actor,
            name="path",
            environment_id=environment.pk,
            initial_value="echo",
        )
        comment = comment_create(endpoint=endpoint, actor=actor, body="Looks @fuzzer good")
        link, _ = docs_services.share_link_create(project=project, actor=actor, name="Partners")
        sacrificial, _ = token_create(user=actor, name=f"to delete {n}")
        ProjectCABundle.objects.create(project=project, pem=self.ca_pem, updated_by=actor)
        session = session_services.session_create(
            actor=actor, project=project, endpoint=endpoint, data={"url": self.upstream_url}
        )
        self._seed_log(session)
        project_schema = schema_create(
            project=project, actor=actor, name="Tick", schema={"type": "object"}
        )
        scenario = scenario_create(
            project=project,
            actor=actor,
            name="Smoke",
            steps=[
                {"kind": "connect", "alias": "t", "endpoint": endpoint.pk},
                {"kind": "send", "alias": "t", "message": "hello"},
                {"kind": "expect", "alias": "t", "assertions": [{"kind": "valid"}]},
            ],
            tags=["market"],
        )
        self.ids = {
            "project_id": project.pk,
            "token_id": sacrificial.pk,
            "user_id": self.editor.pk,
            "folder_id": folder.pk,
            "endpoint_id": endpoint.pk,
            "tag_id": Tag.objects.get(project=project, name="market").pk,
            "link_id": link.pk,
            "environment_id": environment.pk,
            "variable_id": variable.pk,
            "revision_id": Revision.objects.filter(endpoint=endpoint).earliest("id").pk,
            "comment_id": comment.pk,
            "session_id": session.pk,
            "seq": 3,
            "schema_id": project_schema.pk,
            "scenario_id": scenario.pk,
        }

    @staticmethod
    def _seed_log(session: DebugSession) -> None:
        """A closed first connection's log, so event pages and event details have entries."""
        start = timezone.now() - timedelta(minutes=1)
        rows = [
            ("connecting", "", "", None, None, {"url": "ws://127.0.0.1/"}),
            ("open", "", "", None, None, {"status": 101}),
            ("sent", "out", "text", '{"op": "hello"}', None, None),
            ("received", "in", "binary", None, b"\x00\xffhi", None),
            ("received", "in", "text", "<a><b>1</b></a>", None, None),
            ("closed", "", "", None, None, {"code": 1000, "reason": "", "by": "client"}),
        ]
        Event.objects.bulk_create(
            log_event(
                session,
                index,
                start + timedelta(seconds=index),
                kind,
                direction=direction,
                opcode=opcode,
                body=text if text is not None else data,
                info=info,
            )
            for index, (kind, direction, opcode, text, data, info) in enumerate(rows, start=1)
        )
        DebugSession.objects.filter(pk=session.pk).update(connection_count=1, state="closed")

    def intact(self) -> bool:
        ids = self.ids
        project = ids["project_id"]
        checks = (
            Membership.objects.filter(project_id=project, user=self.fuzzer, role=Role.ADMIN),
            Membership.objects.filter(project_id=project, user_id=ids["user_id"]),
            Folder.objects.filter(project_id=project, pk=ids["folder_id"]),
            Endpoint.objects.filter(project_id=project, pk=ids["endpoint_id"]),
            Tag.objects.filter(project_id=project, pk=ids["tag_id"]),
            ShareLink.objects.filter(project_id=project, pk=ids["link_id"]),
            Environment.objects.filter(project_id=project, pk=ids["environment_id"]),
            Variable.objects.filter(project_id=project, pk=ids["variable_id"]),
            Revision.objects.filter(endpoint_id=ids["endpoint_id"], pk=ids["revision_id"]),
            Comment.objects.filter(endpoint_id=ids["endpoint_id"], pk=ids["comment_id"]),
            DebugSession.objects.filter(project_id=project, pk=ids["session_id"]),
            AccessToken.objects.filter(pk=ids["token_id"]),
            ProjectCABundle.objects.filter(project_id=project),
            ProjectSchema.objects.filter(project_id=project, pk=ids["schema_id"]),
            Scenario.objects.filter(project_id=project, pk=ids["scenario_id"]),
        )
        return all(query.exists() for query in checks)

    def ensure(self) -> None:
        """Seed a new project if the fuzzer deleted or demoted any part of the current one."""
        if not self.intact():
            self.rebuilds += 1
            self.seed()

    def reset_session_draft(self) -> None:
        """Point the seeded session at the loopback echo server with a short open timeout.

        The fuzzer may PATCH the draft to any URL; a connect must still only reach the echo
        server this test started (anything else is denied by the egress policy or refused).
        """
        DebugSession.objects.filter(pk=self.ids["session_id"]).update(
            url=self.upstream_url,
            params=[],
            headers=[],
            cookies=[],
            subprotocols=[],
            connection_settings={
                "open_timeout": 2.0,
                "max_message_size": 1024 * 1024,
                "verify_tls": True,
                "ping_interval": 0.0,
            },
        )
