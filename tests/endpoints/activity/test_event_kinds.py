"""Live events have a schema (endpoints/activity/event_kinds.py), as Zulip's event_schema:

- every public function of a services module is either walked here (called with valid
  arguments, and must announce what it changed) or exempt with a reason; a new function that is
  neither fails ``test_every_service_function_is_walked_or_exempt``;
- every kind is announced by some walked write, matches its declared shape on the wire, and
  owner-only kinds reach only their owner's group;
- the workspace's events.js handles (or explicitly ignores, with a reason) every kind;
- a publish with a wrong shape fails and stores nothing.

What a socket would receive is read from the real (Redis) channel layer: one channel in the
project's group and one in each member's own group.

Of ``sessions/services.py`` only the project's CA bundle is walked (and the client certificates
of ``sessions/certificate_services.py``): a debug session is private to the member who opened
it and has its own socket (WS /ws/sessions/{id}/); saving one writes through
``endpoint_create`` / ``endpoint_update``, walked here.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import transaction

from docs_app import services as docs_services
from docs_app.models import ShareLink
from endpoints.activity import events
from endpoints.activity import services as activity_services
from endpoints.activity.event_kinds import (
    SHAPES,
    USER,
    EventKind,
    EventShapeError,
    ListOf,
    Nullable,
    Obj,
    shape_errors,
)
from endpoints.environments import services as env_services
from endpoints.models import (
    Comment,
    CurrentValue,
    Endpoint,
    Environment,
    Folder,
    ProjectEvent,
    ProjectSchema,
    Revision,
    Tag,
    Variable,
)
from endpoints.projects import services as project_services
from endpoints.schemas import services as schema_services
from endpoints.tree import services as tree_services
from mocks import services as mock_services
from scenarios import services as scenario_services
from scenarios.models import Scenario, ScenarioFolder
from sessions import certificate_services
from sessions import services as session_services
from sessions.models import ClientCertificate
from tests.conftest import Team
from tests.factories import make_endpoint, make_env, make_var
from tests.sessions.upstreams import issue, make_ca, self_signed

ROOT = Path(__file__).resolve().parents[3]
EVENTS_JS = ROOT / "workspace/static/workspace/js/events.js"
GONE = "project.gone"  # what deleting a project sends instead of a stored event
SERVICE_MODULES = (
    *sorted(
        f"endpoints.{path.parent.name}.services" for path in ROOT.glob("endpoints/*/services.py")
    ),
    "docs_app.services",
    "sessions.services",
    "sessions.certificate_services",
    "sessions.sending",
    "sessions.control",
    "accounts.tokens",
    "scenarios.services",
    "mocks.services",
)
# A debug session is private to its owner, who follows it on the session's own socket.
PRIVATE_SESSION = (
    "a debug session is private to the member who opened it; its stream is the session "
    "socket (WS /ws/sessions/{id}/), not the project's"
)

EXEMPT: dict[str, str] = {
    "endpoints.projects.services.project_create": (
        "a new project has no other member yet, and no socket can be open on it"
    ),
    "endpoints.tree.services.tags_resolve": (
        "a helper of endpoint writes (the endpoint's event names its tags, and clients read "
        "tags again on it); the tags API creates through tag_create"
    ),
    "endpoints.asyncapi.services.asyncapi_import": (
        "writes through schema_create/update, environment_create/update, variable_create/update, "
        "folder_create and endpoint_create/update, which announce it (tests/endpoints/asyncapi)"
    ),
    "endpoints.tree.services.endpoint_apply": (
        "the write inside endpoint_update and endpoint_revert, which announce it"
    ),
    "docs_app.services.share_link_record_view": (
        "a reader's page view, not a member's change: an event per view would flood the "
        "project's stream; members see the count when they next load the list"
    ),
    "docs_app.services.share_link_unlock": (
        "counts a reader's wrong passwords (rate limit), which no member sees"
    ),
    "docs_app.services.client_fingerprint": "a pure function, writes nothing",
    "docs_app.services.description_digest": "a pure function, writes nothing",
    "docs_app.services.descriptions_render": "renders, writes nothing",
    "docs_app.services.descriptions_store": (
        "a cache of rendered Markdown: what members see does not change"
    ),
    **{
        f"sessions.services.{name}": PRIVATE_SESSION
        for name in (
            "session_create",
            "session_update",
            "session_delete",
            "session_touch",
            "session_claim",
            "session_connect",
            "session_disconnect",
            "session_mark_lost_if_relay_stopped",
        )
    },
    **{f"sessions.sending.{name}": PRIVATE_SESSION for name in ("message_prepare", "message_send")},
    **{
        f"sessions.control.{name}": PRIVATE_SESSION
        for name in (
            "ping_payload",
            "ping_command",
            "session_ping",
            "timer_command",
            "timer_start",
            "timer_stop",
            "timer_list",
        )
    },
    "sessions.services.session_save": (
        "writes through endpoint_create / endpoint_update, which announce it"
    ),
    "accounts.tokens.token_create": (
        "a personal access token belongs to one user and no project: no member sees it"
    ),
    "accounts.tokens.token_lookup": (
        "authentication; its only write (last_used_at) is seen by the token's owner only"
    ),
    "accounts.tokens.token_digest": "a pure function, writes nothing",
    "mocks.services.mock_settings_ensure": (
        "makes the default mock settings on their first read; what members see is unchanged "
        "(that read is where the key is first shown)"
    ),
}


# --- the world every write runs in ----------------------------------------------------------


@dataclass
class World:
    team: Team
    folder: Folder  # holds the endpoint
    empty_folder: Folder
    endpoint: Endpoint  # tagged "beta", commented on
    tag: Tag
    comment: Comment  # by the admin
    environment: Environment
    variable: Variable  # in the environment
    secret: Variable  # a global secret
    link: ShareLink
    ca_pem: str  # a valid certificate for the project's CA bundle

    @property
    def project(self) -> Any:
        return self.team.project


@pytest.fixture
def world(team: Team, tmp_path: Path) -> World:
    folder = tree_services.folder_create(project=team.project, actor=team.editor, name="Quotes")
    empty = tree_services.folder_create(project=team.project, actor=team.editor, name="Empty")
    endpoint = make_endpoint(team, folder=folder.pk, tags=["beta"])
    environment = make_env(team, "Staging", "wss://staging.test")
    link, _ = docs_services.share_link_create(project=team.project, actor=team.admin, name="P")
    return World(
        team=team,
        folder=folder,
        empty_folder=empty,
        endpoint=endpoint,
        tag=Tag.objects.get(project=team.project, name="beta"),
        comment=activity_services.comment_create(endpoint=endpoint, actor=team.admin, body="First"),
        environment=environment,
        variable=make_var(team, "host", "h", env=environment),
        secret=make_var(team, "apiKey", "shared-secret-value", secret=True),
        link=link,
        ca_pem=self_signed(tmp_path)[0].read_text(),
    )


@dataclass(frozen=True)
class Write:
    call: Callable[[World], Any]
    announces: frozenset[str]
    # Owner-only kinds: whose own group they go to.
    owner: Callable[[World], Any] | None = None
    setup: Callable[[World], Any] | None = None


def write(
    call: Callable[[World], Any],
    *kinds: str,
    owner: Callable[[World], Any] | None = None,
    setup: Callable[[World], Any] | None = None,
) -> Write:
    return Write(call, frozenset(kinds), owner, setup)


ps, ts, es, acts, ds, ss = (
    project_services,
    tree_services,
    env_services,
    activity_services,
    docs_services,
    session_services,
)
K = EventKind


def _schema_made(w: World) -> Any:
    return schema_services.schema_create(
        project=w.project, actor=w.team.editor, name="Old", schema={"type": "object"}
    )


def _schema_old(w: World) -> ProjectSchema:
    return ProjectSchema.objects.get(project=w.project, name="Old")


def _scenario_made(w: World) -> Any:
    return scenario_services.scenario_create(project=w.project, actor=w.team.editor, name="Old")


def _scenario_old(w: World) -> Scenario:
    return Scenario.objects.get(project=w.project, name="Old")


def _scenario_folder_made(w: World) -> Any:
    return scenario_services.scenario_folder_create(
        project=w.project, actor=w.team.editor, name="Old folder"
    )


def _scenario_folder_old(w: World) -> ScenarioFolder:
    return ScenarioFolder.objects.get(project=w.project, name="Old folder")


def _client_certificate_create(w: World) -> Any:
    issued = issue(make_ca("Event CA"), "events-client")
    return certificate_services.client_certificate_create(
        project=w.project,
        actor=w.team.admin,
        host_pattern="*.example.test",
        certificate=issued.cert_pem,
        private_key=issued.key_pem,
    )


WRITES: dict[str, tuple[Write, ...]] = {
    "endpoints.projects.services.project_update": (
        write(
            lambda w: ps.project_update(project=w.project, name="R", actor=w.team.admin),
            K.PROJECT_UPDATED,
        ),
    ),
    "endpoints.projects.services.project_delete": (
        write(lambda w: ps.project_delete(project=w.project), GONE),
    ),
    "endpoints.projects.services.member_add": (
        write(
            lambda w: ps.member_add(
                project=w.project, user_ref=w.team.outsider.pk, role="viewer", actor=w.team.admin
            ),
            K.MEMBER_JOINED,
        ),
    ),
    "endpoints.projects.services.member_update": (
        write(
            lambda w: ps.member_update(
                project=w.project, user_id=w.team.viewer.pk, role="editor", actor=w.team.admin
            ),
            K.MEMBER_ROLE_CHANGED,
        ),
    ),
    "endpoints.projects.services.member_remove": (
        write(
            lambda w: ps.member_remove(
                project=w.project, user_id=w.team.viewer.pk, actor=w.team.admin
            ),
            K.MEMBER_LEFT,
        ),
    ),
    "endpoints.tree.services.folder_create": (
        write(
            lambda w: ts.folder_create(project=w.project, actor=w.team.editor, name="New"),
            K.FOLDER_CREATED,
        ),
    ),
    "endpoints.tree.services.folder_update": (
        write(
            lambda w: ts.folder_update(folder=w.folder, actor=w.team.editor, name="Q2"),
            K.FOLDER_UPDATED,
        ),
        write(
            lambda w: ts.folder_update(
                folder=w.empty_folder, actor=w.team.editor, parent_id=w.folder.pk
            ),
            K.FOLDER_MOVED,
        ),
    ),
    "endpoints.tree.services.folder_delete": (
        write(
            lambda w: ts.folder_delete(folder=w.empty_folder, actor=w.team.editor),
            K.FOLDER_DELETED,
        ),
    ),
    "endpoints.tree.services.tag_create": (
        write(
            lambda w: ts.tag_create(project=w.project, actor=w.team.editor, name="fresh"),
            K.TAG_CREATED,
        ),
    ),
    "endpoints.tree.services.tag_rename": (
        write(
            lambda w: ts.tag_rename(tag=w.tag, name="gamma", actor=w.team.editor),
            K.ENDPOINT_UPDATED,
            K.TAG_UPDATED,
        ),
    ),
    "endpoints.tree.services.tag_delete": (
        write(
            lambda w: ts.tag_delete(tag=w.tag, actor=w.team.editor),
            K.ENDPOINT_UPDATED,
            K.TAG_DELETED,
        ),
    ),
    "endpoints.tree.services.endpoint_create": (
        write(
            lambda w: ts.endpoint_create(
                project=w.project, actor=w.team.editor, data={"name": "N", "url": "ws://h"}
            ),
            K.ENDPOINT_CREATED,
        ),
    ),
    "endpoints.tree.services.endpoint_update": (
        write(
            lambda w: ts.endpoint_update(
                endpoint=w.endpoint, actor=w.team.editor, data={"name": "Renamed"}
            ),
            K.ENDPOINT_UPDATED,
        ),
    ),
    "endpoints.tree.services.endpoint_delete": (
        write(
            lambda w: ts.endpoint_delete(endpoint=w.endpoint, actor=w.team.editor),
            K.ENDPOINT_DELETED,
        ),
    ),
    "endpoints.tree.services.endpoints_batch": (
        write(
            lambda w: ts.endpoints_batch(
                project=w.project,
                actor=w.team.editor,
                ids=[w.endpoint.pk],
                operations=[{"op": "move", "folder": None}],
            ),
            K.ENDPOINT_MOVED,
        ),
    ),
    "endpoints.activity.services.endpoint_revert": (
        write(
            lambda w: acts.endpoint_revert(
                endpoint=w.endpoint,
                revision=Revision.objects.filter(endpoint=w.endpoint).earliest("pk"),
                actor=w.team.editor,
            ),
            K.ENDPOINT_UPDATED,
            setup=lambda w: ts.endpoint_update(
                endpoint=w.endpoint, actor=w.team.editor, data={"name": "Changed"}
            ),
        ),
    ),
    "endpoints.activity.services.comment_create": (
        write(
            lambda w: acts.comment_create(endpoint=w.endpoint, actor=w.team.viewer, body="Hi"),
            K.COMMENT_ADDED,
        ),
    ),
    "endpoints.activity.services.comment_update": (
        write(
            lambda w: acts.comment_update(comment=w.comment, actor=w.team.admin, body="Edit"),
            K.COMMENT_EDITED,
        ),
    ),
    "endpoints.activity.services.comment_delete": (
        write(
            lambda w: acts.comment_delete(comment=w.comment, actor=w.team.admin, role="admin"),
            K.COMMENT_DELETED,
        ),
    ),
    "endpoints.activity.services.comment_set_resolved": (
        write(
            lambda w: acts.comment_set_resolved(
                comment=w.comment, actor=w.team.editor, role="editor", resolved=True
            ),
            K.COMMENT_RESOLVED,
        ),
        write(
            lambda w: acts.comment_set_resolved(
                comment=w.comment, actor=w.team.editor, role="editor", resolved=False
            ),
            K.COMMENT_REOPENED,
            setup=lambda w: acts.comment_set_resolved(
                comment=w.comment, actor=w.team.editor, role="editor", resolved=True
            ),
        ),
    ),
    "endpoints.environments.services.environment_create": (
        write(
            lambda w: es.environment_create(project=w.project, actor=w.team.admin, name="Prod"),
            K.ENVIRONMENT_CREATED,
        ),
    ),
    "endpoints.environments.services.environment_update": (
        write(
            lambda w: es.environment_update(
                environment=w.environment, actor=w.team.admin, base_url="wss://s2.test"
            ),
            K.ENVIRONMENT_UPDATED,
        ),
    ),
    "endpoints.environments.services.environment_delete": (
        write(
            lambda w: es.environment_delete(environment=w.environment, actor=w.team.admin),
            K.ENVIRONMENT_DELETED,
        ),
    ),
    "endpoints.environments.services.variable_create": (
        write(
            lambda w: es.variable_create(
                project=w.project, actor=w.team.admin, name="token", initial_value="t"
            ),
            K.VARIABLE_CREATED,
        ),
    ),
    "endpoints.environments.services.variable_update": (
        write(
            lambda w: es.variable_update(
                variable=w.secret, actor=w.team.admin, initial_value="rotated-secret-value"
            ),
            K.VARIABLE_UPDATED,
        ),
    ),
    "endpoints.environments.services.variable_delete": (
        write(
            lambda w: es.variable_delete(variable=w.variable, actor=w.team.admin),
            K.VARIABLE_DELETED,
        ),
    ),
    "endpoints.environments.services.current_value_set": (
        write(
            lambda w: es.current_value_set(
                variable=w.secret, user=w.team.viewer, value="vic-private-value"
            ),
            K.CURRENT_VALUE_CHANGED,
            owner=lambda w: w.team.viewer,
        ),
    ),
    "endpoints.environments.services.current_value_clear": (
        write(
            lambda w: es.current_value_clear(variable=w.secret, user=w.team.viewer),
            K.CURRENT_VALUE_CHANGED,
            owner=lambda w: w.team.viewer,
            setup=lambda w: es.current_value_set(
                variable=w.secret, user=w.team.viewer, value="vic-private-value"
            ),
        ),
    ),
    "docs_app.services.share_link_create": (
        write(
            lambda w: ds.share_link_create(
                project=w.project, actor=w.team.editor, name="L", password="pw-123456"
            ),
            K.SHARE_LINK_CREATED,
        ),
    ),
    "docs_app.services.share_link_update": (
        write(
            lambda w: ds.share_link_update(link=w.link, actor=w.team.editor, name="Partners"),
            K.SHARE_LINK_UPDATED,
        ),
    ),
    "docs_app.services.share_link_revoke": (
        write(
            lambda w: ds.share_link_revoke(link=w.link, actor=w.team.editor),
            K.SHARE_LINK_REVOKED,
        ),
    ),
    "docs_app.services.share_link_rotate": (
        write(
            lambda w: ds.share_link_rotate(link=w.link, actor=w.team.editor),
            K.SHARE_LINK_ROTATED,
        ),
    ),
    "docs_app.services.share_link_delete": (
        write(
            lambda w: ds.share_link_delete(link=w.link, actor=w.team.editor),
            K.SHARE_LINK_DELETED,
        ),
    ),
    "endpoints.schemas.services.schema_create": (
        write(
            lambda w: schema_services.schema_create(
                project=w.project, actor=w.team.editor, name="Trade", schema={"type": "object"}
            ),
            K.SCHEMA_CREATED,
        ),
    ),
    "endpoints.schemas.services.schema_update": (
        write(
            lambda w: schema_services.schema_update(
                project_schema=_schema_old(w), actor=w.team.editor, name="New"
            ),
            K.SCHEMA_UPDATED,
            setup=_schema_made,
        ),
    ),
    "endpoints.schemas.services.schema_delete": (
        write(
            lambda w: schema_services.schema_delete(
                project_schema=_schema_old(w), actor=w.team.editor
            ),
            K.SCHEMA_DELETED,
            setup=_schema_made,
        ),
    ),
    "scenarios.services.scenario_create": (
        write(
            lambda w: scenario_services.scenario_create(
                project=w.project,
                actor=w.team.editor,
                name="Smoke",
                steps=[{"kind": "wait", "ms": 1}],
            ),
            K.SCENARIO_CREATED,
        ),
    ),
    "scenarios.services.scenario_update": (
        write(
            lambda w: scenario_services.scenario_update(
                scenario=_scenario_old(w), actor=w.team.editor, changes={"name": "New"}
            ),
            K.SCENARIO_UPDATED,
            setup=_scenario_made,
        ),
    ),
    "scenarios.services.scenario_delete": (
        write(
            lambda w: scenario_services.scenario_delete(
                scenario=_scenario_old(w), actor=w.team.editor
            ),
            K.SCENARIO_DELETED,
            setup=_scenario_made,
        ),
    ),
    "scenarios.services.scenario_folder_create": (
        write(
            lambda w: scenario_services.scenario_folder_create(
                project=w.project, actor=w.team.editor, name="Smoke"
            ),
            K.SCENARIO_FOLDER_CREATED,
        ),
    ),
    "scenarios.services.scenario_folder_update": (
        write(
            lambda w: scenario_services.scenario_folder_update(
                folder=_scenario_folder_old(w), actor=w.team.editor, name="Renamed"
            ),
            K.SCENARIO_FOLDER_UPDATED,
            setup=_scenario_folder_made,
        ),
    ),
    "scenarios.services.scenario_folder_delete": (
        write(
            lambda w: scenario_services.scenario_folder_delete(
                folder=_scenario_folder_old(w), actor=w.team.editor
            ),
            K.SCENARIO_FOLDER_DELETED,
            setup=_scenario_folder_made,
        ),
    ),
    "mocks.services.mock_settings_update": (
        write(
            lambda w: mock_services.mock_settings_update(
                project=w.project, actor=w.team.admin, enabled=False
            ),
            K.MOCK_UPDATED,
        ),
    ),
    "mocks.services.mock_key_rotate": (
        write(
            lambda w: mock_services.mock_key_rotate(project=w.project, actor=w.team.admin),
            K.MOCK_UPDATED,
        ),
    ),
    "mocks.services.mock_behaviour_update": (
        write(
            lambda w: mock_services.mock_behaviour_update(
                endpoint=w.endpoint, actor=w.team.editor, spec={"auto_reply": False}
            ),
            K.MOCK_BEHAVIOUR_UPDATED,
        ),
    ),
    "sessions.services.ca_bundle_set": (
        write(
            lambda w: ss.ca_bundle_set(project=w.project, actor=w.team.admin, pem=w.ca_pem),
            K.CA_BUNDLE_UPDATED,
        ),
    ),
    "sessions.services.ca_bundle_delete": (
        write(
            lambda w: ss.ca_bundle_delete(project=w.project, actor=w.team.admin),
            K.CA_BUNDLE_DELETED,
            setup=lambda w: ss.ca_bundle_set(project=w.project, actor=w.team.admin, pem=w.ca_pem),
        ),
    ),
    "sessions.certificate_services.client_certificate_create": (
        write(_client_certificate_create, K.CLIENT_CERTIFICATE_CREATED),
    ),
    "sessions.certificate_services.client_certificate_delete": (
        write(
            lambda w: certificate_services.client_certificate_delete(
                certificate=ClientCertificate.objects.get(project=w.project), actor=w.team.admin
            ),
            K.CLIENT_CERTIFICATE_DELETED,
            setup=_client_certificate_create,
        ),
    ),
}

CASES = [
    pytest.param(name, case, id=f"{name.rsplit('.', 1)[1]}-{index}")
    for name, cases in WRITES.items()
    for index, case in enumerate(cases)
]
# Values a write in the walk stores that no event may carry (tokens are checked separately).
SECRETS = ("shared-secret-value", "rotated-secret-value", "vic-private-value", "pw-123456")


def service_functions() -> set[str]:
    """Dotted names of the public functions defined in the services modules."""
    names = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and value.__module__ == module_name
                and not name.startswith("_")
            ):
                names.add(f"{module_name}.{name}")
    return names


# --- listening on the channel layer ---------------------------------------------------------


class Listener:
    """A channel in some groups, as a socket's would be; ``received()`` drains it.

    Every listener receives on one event loop of its own thread, all the time, and
    ``received()`` waits until nothing more arrived for 0.2 s. Never a receive cancelled by a
    timeout: channels_redis can hang when a receive is cancelled mid-read (seen under load).
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _layer: Any = None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        if cls._loop is None:
            cls._loop = asyncio.new_event_loop()
            threading.Thread(target=cls._loop.run_forever, daemon=True).start()
        return cls._loop

    @classmethod
    def listening_layer(cls) -> Any:
        """A channel layer object of the listeners' own, configured like the server's: its
        receives stay with it, never with the layer the code under test (and later tests'
        relays) receive on — a layer object takes receives from one event loop only."""
        if cls._layer is None:
            cls._layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        return cls._layer

    def __init__(self, *groups: str) -> None:
        self.layer = self.listening_layer()
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.channel = self._run(self.layer.new_channel())
        for group in groups:
            self._run(self.layer.group_add(group, self.channel))
        asyncio.run_coroutine_threadsafe(self._receive_forever(), self.loop())

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop()).result(30)

    async def _receive_forever(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            with self.lock:
                self.messages.append(message)

    def received(self) -> list[dict[str, Any]]:
        seen, quiet_since = -1, time.monotonic()
        while True:
            with self.lock:
                if len(self.messages) != seen:
                    seen, quiet_since = len(self.messages), time.monotonic()
                elif time.monotonic() - quiet_since >= 0.2:
                    taken, self.messages = self.messages, []
                    return taken
            time.sleep(0.02)


def events_in(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for message in messages:
        if message["type"] == "project.gone":
            found.append({"kind": GONE})
        else:
            found.extend(message["events"])
    return found


def envelope_errors(event: dict[str, Any], *, numbered: bool) -> list[str]:
    """What is wrong with ``event`` as sent: the common fields, then its kind's payload."""
    common = {"kind", "at", "actor", *(("seq",) if numbered else ())}
    errors = [f"{key}: missing" for key in common if key not in event]
    errors += shape_errors(event.get("at"), str, "at")
    errors += shape_errors(event.get("actor"), Nullable(USER), "actor")
    if numbered:
        errors += shape_errors(event.get("seq"), int, "seq")
    payload = {key: value for key, value in event.items() if key not in common}
    return errors + shape_errors(payload, SHAPES[EventKind(event["kind"])].payload)


# --- the tests ------------------------------------------------------------------------------


def test_every_service_function_is_walked_or_exempt():
    found = service_functions()
    covered = set(WRITES) | set(EXEMPT)
    assert not set(WRITES) & set(EXEMPT), "walked and exempt at once"
    assert not found - covered, f"add to WRITES (or EXEMPT, with a reason): {found - covered}"
    assert not covered - found, f"no longer service functions: {covered - found}"
    assert all(reason.strip() for reason in EXEMPT.values())


def test_every_kind_has_a_shape_and_a_walked_publisher():
    assert set(SHAPES) == set(EventKind)
    announced = {kind for cases in WRITES.values() for case in cases for kind in case.announces}
    assert {str(kind) for kind in EventKind} - announced == set(), "kinds no walked write announces"


@pytest.mark.parametrize(("name", "case"), CASES)
def test_the_write_announces_what_it_changed(
    world: World, name: str, case: Write, django_capture_on_commit_callbacks
):
    if case.setup is not None:
        case.setup(world)
    team = world.team
    project_id = world.project.pk
    shared = Listener(events.project_group(project_id))
    own = {
        user.pk: Listener(events.member_group(project_id, user.pk))
        for user in (team.admin, team.editor, team.viewer)
    }
    before = set(ProjectEvent.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        case.call(world)

    shared_events = events_in(shared.received())
    owner = case.owner(world) if case.owner else None
    own_events = {pk: events_in(listener.received()) for pk, listener in own.items()}
    if owner is None:
        assert {e["kind"] for e in shared_events} == case.announces, name
        assert not any(own_events.values()), "an owner-only message for a shared write"
    else:
        assert shared_events == [], "an owner-only event reached the project's group"
        assert {e["kind"] for e in own_events[owner.pk]} == case.announces
        assert not any(evs for pk, evs in own_events.items() if pk != owner.pk)

    sent = shared_events + [e for evs in own_events.values() for e in evs]
    for event in sent:
        if event["kind"] != GONE:
            assert envelope_errors(event, numbered=owner is None) == [], event
    stored = list(ProjectEvent.objects.exclude(pk__in=before).values_list("data", flat=True))
    wire = repr(sent) + repr(stored)
    for value in SECRETS:
        assert value not in wire
    assert "CERTIFICATE" not in wire, "a CA bundle's PEM in an event"
    for link in ShareLink.objects.all():
        assert link.token_prefix not in wire and link.token_seed not in wire
    if owner is not None:
        assert stored == [], "an owner-only event was stored"
        assert CurrentValue.objects.filter(user=owner).exists() == (
            name.endswith("current_value_set")
        )


# --- the workspace handles every kind -------------------------------------------------------


def js_object_keys(source: str, name: str) -> dict[str, str]:
    """``{"key": value-source}`` of the object literal ``export const <name> = {...};``."""
    match = re.search(rf"export const {name} = \{{(.*?)\n\}};", source, re.DOTALL)
    if match is None:
        return {}
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", match.group(1), flags=re.DOTALL)
    return dict(re.findall(r'"([a-z_.]+)"\s*:\s*([^,\n]+)', body))


def test_the_workspace_handles_every_kind():
    source = EVENTS_JS.read_text()
    assert "export const HANDLED_KINDS = Object.keys(EVENT_HANDLERS);" in source
    handled = set(js_object_keys(source, "EVENT_HANDLERS"))
    ignored = js_object_keys(source, "IGNORED_KINDS")
    assert handled, "could not read EVENT_HANDLERS from events.js"
    assert not handled & set(ignored), "handled and ignored at once"
    for kind, reason in ignored.items():
        assert len(reason.strip().strip("\"'")) > 10, f"say why the workspace ignores {kind}"
    kinds = {kind.value for kind in EventKind}
    assert kinds - handled - set(ignored) == set(), (
        "kinds the workspace neither handles nor ignores"
    )
    assert (handled | set(ignored)) - kinds == set(), "the workspace handles kinds never sent"


# --- shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"project": {"id": 1, "name": "P"}}, "project.version: missing"),
        ({"project": {"id": 1, "name": "P", "version": 2}, "token": "x"}, "token: not declared"),
        ({"project": {"id": "1", "name": "P", "version": 2}}, "project.id: expected int"),
        ({"project": {"id": True, "name": "P", "version": 2}}, "project.id: expected int"),
        ({"project": None}, "project: expected an object"),
    ],
)
def test_a_payload_off_its_shape_is_refused_and_nothing_is_stored(team, payload, problem):
    count = ProjectEvent.objects.count()
    with pytest.raises(EventShapeError, match=re.escape(problem)), transaction.atomic():
        events.publish(
            project_id=team.project.pk,
            actor=team.admin,
            events=[{"kind": EventKind.PROJECT_UPDATED, **payload}],
        )
    assert ProjectEvent.objects.count() == count


def test_kinds_are_enum_members_and_go_to_their_audience(team):
    good = {"project": {"id": 1, "name": "P", "version": 2}}
    own = {"variable": {"id": 1, "environment": None, "name": "v"}, "set": True}
    with transaction.atomic():
        with pytest.raises(EventShapeError, match="EventKind"):
            events.publish(
                project_id=team.project.pk,
                actor=None,
                events=[{"kind": "project.updated", **good}],
            )
        with pytest.raises(EventShapeError, match="publish_to_member"):
            events.publish(
                project_id=team.project.pk,
                actor=None,
                events=[{"kind": EventKind.CURRENT_VALUE_CHANGED, **own}],
            )
        with pytest.raises(EventShapeError, match=re.escape("events.publish()")):
            events.publish_to_member(
                project_id=team.project.pk,
                user_id=team.viewer.pk,
                actor=None,
                events=[{"kind": EventKind.PROJECT_UPDATED, **good}],
            )
        (sent,) = events.publish(
            project_id=team.project.pk,
            actor=team.admin,
            events=[{"kind": EventKind.PROJECT_UPDATED, **good}],
        )
    assert sent["kind"] == "project.updated" and type(sent["kind"]) is str
    assert envelope_errors(sent, numbered=True) == []


def test_nested_shapes_report_where_they_are_wrong():
    spec = Obj({"items": ListOf(USER)})
    errors = shape_errors({"items": [{"id": 1, "username": "a", "display_name": 3}]}, spec)
    assert errors == ["items[0].display_name: expected str, got int"]
