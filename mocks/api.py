"""REST API of mocks: a project's mock settings (every member reads them; admins switch mocking
on or off, set a header token and rotate the key), each endpoint's mock behaviour (editors
write) and its recent traffic."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.errors import NotFound
from core.query import whole_number
from core.requests import AuthenticatedRequest
from core.socketio.handshake import SocketIOVersion
from core.versioning import expected_version, versioned
from endpoints.handshake import clean_socketio
from endpoints.models import Endpoint, Protocol
from endpoints.projects.access import Action, ProjectView, project_actions
from mocks import selectors, services
from mocks import serializers as s
from mocks.models import MockConnection
from mocks.recording import connection_data, frame_data


class MockSettingsDetail(ProjectView):
    actions = project_actions(patch=Action.MANAGE)

    @extend_schema(responses={200: s.MockSettingsOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        row = services.mock_settings_ensure(project=self.project)
        return Response(s.mock_settings_data(row, request))

    @extend_schema(
        request=s.MockSettingsInSerializer,
        responses={200: s.MockSettingsOutSerializer, **ERRORS},
        description="Admins only. `enabled: false` refuses every mock handshake (404); a "
        "header name and value make clients send that header too (403 without).",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.MockSettingsInSerializer, request)
        row = services.mock_settings_update(project=self.project, actor=request.user, **data)
        return Response(s.mock_settings_data(row, request))


class MockKeyRotate(ProjectView):
    actions = project_actions(post=Action.MANAGE)

    @extend_schema(
        request=None,
        responses={200: s.MockSettingsOutSerializer, **ERRORS},
        description="Admins only. A new key; the old mock URLs refuse every handshake (404).",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        row = services.mock_key_rotate(project=self.project, actor=request.user)
        return Response(s.mock_settings_data(row, request))


class EndpointMockView(ProjectView):
    def endpoint(self, endpoint_id: int) -> Endpoint:
        return selectors.endpoint_of(project_id=self.project.pk, endpoint_id=endpoint_id)

    def behaviour_data(self, request: AuthenticatedRequest, endpoint: Endpoint) -> Response:
        behaviour = selectors.behaviour_of(endpoint=endpoint)
        key = services.mock_settings_ensure(project=self.project).key
        row = {"url": endpoint.url, "protocol": endpoint.protocol, "socketio": endpoint.socketio}
        path = selectors.mock_path(row, selectors.shared_values(self.project.pk))
        url = s.mock_base_url(request, key) + path
        version = clean_socketio(None, base=endpoint.socketio)["version"]
        socketio = endpoint.protocol == Protocol.SOCKETIO
        if socketio:
            url += f"?EIO={int(SocketIOVersion(version).engine)}&transport=websocket"
        data = {
            "endpoint": endpoint.pk,
            "url": url,
            "path": path,
            "socketio_path": f"/mock/{key}{path}" if socketio else None,
            "stored": behaviour.stored,
            "version": behaviour.version,
            "problem": behaviour.problem,
            "spec": behaviour.spec,
        }
        return versioned(data, behaviour.version)


class MockBehaviourDetail(EndpointMockView):
    @extend_schema(responses={200: s.MockBehaviourOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        return self.behaviour_data(request, self.endpoint(endpoint_id))

    @extend_schema(
        request=s.MockBehaviourInSerializer,
        responses={200: s.MockBehaviourOutSerializer, **ERRORS},
        description="Editors and admins. Checked against the endpoint's documented messages: "
        "a bad part is a 400 naming it (spec.rules[0].when, spec.pushes[0].interval_ms).",
    )
    def put(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        endpoint = self.endpoint(endpoint_id)
        data = parse(s.MockBehaviourInSerializer, request)
        services.mock_behaviour_update(
            endpoint=endpoint,
            actor=request.user,
            spec=data["spec"],
            version=expected_version(request, data.get("version")),
        )
        return self.behaviour_data(request, endpoint)


class MockConnectionList(EndpointMockView):
    @extend_schema(
        responses={200: s.MockConnectionSerializer(many=True), **ERRORS},
        description="The endpoint's most recent mock connections, newest first "
        "(MOCK_LOG_CONNECTIONS of them).",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        rows = selectors.recent_connections(endpoint=self.endpoint(endpoint_id))
        return Response([connection_data(row) for row in rows])


class MockFrameList(EndpointMockView):
    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="Only frames after this seq.")],
        responses={200: s.MockFrameSerializer(many=True), **ERRORS},
        description="A mock connection's stored frames in order (MOCK_LOG_FRAMES at most).",
    )
    def get(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, connection_id: int
    ) -> Response:
        endpoint = self.endpoint(endpoint_id)
        after = whole_number(request.query_params, "after", default=0, low=0, high=2**31 - 1)
        connection = MockConnection.objects.filter(endpoint=endpoint, pk=connection_id).first()
        if connection is None:
            raise NotFound()
        rows = selectors.connection_frames(connection=connection, after=after)
        return Response([frame_data(row) for row in rows])
