"""REST API of debug sessions: parse, check access, call one service or selector, serialize.

Sessions are private: every view of one session is a ``SessionView``, which looks it up
through ``_own_session`` (404 for anyone but its owner, and for an owner who left the
project) and then records the access with ``_record_access``: a write, on a GET too (lost
relays, activity).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERRORS, ErrorSerializer, Pagination, paginated_schema, parse
from core.errors import NotFound, ValidationFailed
from core.formats import BodyFormatError, pretty
from core.query import whole_number
from core.requests import AuthenticatedRequest
from core.versioning import expected_version, versioned
from endpoints.models import Endpoint
from endpoints.projects.access import Action, ProjectView, project_actions, project_membership
from endpoints.tree.selectors import endpoint_get
from endpoints.tree.serializers import EndpointOutSerializer, endpoint_data
from sessions import event_serializers, selectors, sending, services
from sessions import serializers as s
from sessions.errors import ConnectFailed, EgressDenied
from sessions.event_detail import DETAIL_VIEWS, event_bytes, event_detail_data
from sessions.models import DebugSession
from sessions.relay.protocol import event_data

SESSION_ERRORS = {**ERRORS, **dict.fromkeys((413, 429, 502, 503, 504), ErrorSerializer)}


def _own_session(request: AuthenticatedRequest, session_id: Any) -> DebugSession:
    """The caller's session (404 for anyone else); a read, nothing is written."""
    return selectors.session_get(user=request.user, session_id=session_id)


def _record_access(request: AuthenticatedRequest, session: DebugSession) -> DebugSession:
    """Writes what the owner's use of ``session`` changes, reads included: a session whose
    relay stopped is marked lost (and its viewers told), and its activity is touched (the idle
    timeout counts from it). Returns the session as it is now."""
    if services.session_mark_lost_if_relay_stopped(session=session):
        session = _own_session(request, session.pk)
    services.session_touch(session=session)
    return session


def _session_response(session: DebugSession, code: int = status.HTTP_200_OK) -> Response:
    connection = selectors.session_connection(session=session)
    return Response(s.session_data(session, connection), status=code)


# The caller's session of the URL, resolved once before any handler runs (like ProjectView):
# 404 for anyone but its owner, then the access is recorded. A method the view does not handle
# (405) and OPTIONS resolve nothing. (No docstring: drf-spectacular would show it on every
# operation.)
class SessionView(APIView):
    request: AuthenticatedRequest  # IsAuthenticated is the default permission
    session: DebugSession

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = (request.method or "").lower()
        if method == "options" or not hasattr(self, method):
            return
        session = _own_session(self.request, kwargs["session_id"])
        self.session = _record_access(self.request, session)

    def reread(self) -> DebugSession:
        """The session as a write just left it (``self.session`` is as it was before)."""
        return selectors.session_get(user=self.request.user, session_id=self.session.pk)


class SessionListCreate(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("project", int, description="Only sessions of this project."),
            OpenApiParameter("state", str, description="A state, or 'active'."),
        ],
        responses={200: paginated_schema(s.SessionOutSerializer, "PaginatedSessionList"), **ERRORS},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        project = whole_number(request.query_params, "project", default=None, low=1, high=2**62)
        queryset = selectors.sessions_of_user(
            user=request.user, project_id=project, state=request.query_params.get("state")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        assert page is not None  # None only for a paginator without a page size
        secret_names = selectors.sessions_secret_names(sessions=page)
        return paginator.get_paginated_response(
            [s.session_data(x, secret_names=secret_names.get(x.pk, ())) for x in page]
        )

    @extend_schema(
        request=s.SessionCreateSerializer,
        responses={201: s.SessionOutSerializer, **ERRORS},
        description="Open a session from an endpoint (its handshake is copied into the draft) "
        "or blank in a project. Any project member may, viewers included.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = parse(s.SessionCreateSerializer, request)
        endpoint = None
        if "endpoint" in data:
            project_id = (
                Endpoint.objects.filter(pk=data["endpoint"])
                .values_list("project_id", flat=True)
                .first()
            )
            if project_id is None or ("project" in data and data["project"] != project_id):
                raise ValidationFailed({"endpoint": ["No such endpoint in your projects."]})
            try:
                membership = project_membership(
                    user=request.user, project_id=project_id, action=Action.READ
                )
            except NotFound:
                raise ValidationFailed(
                    {"endpoint": ["No such endpoint in your projects."]}
                ) from None
            endpoint = Endpoint.objects.get(pk=data["endpoint"])
        else:
            membership = project_membership(
                user=request.user, project_id=data["project"], action=Action.READ
            )
        session = services.session_create(
            actor=request.user,
            project=membership.project,
            endpoint=endpoint,
            data={k: v for k, v in data.items() if k not in ("endpoint", "project")},
        )
        session = selectors.session_get(user=request.user, session_id=session.pk)
        return _session_response(session, status.HTTP_201_CREATED)


class SessionDetail(SessionView):
    @extend_schema(responses={200: s.SessionOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        return _session_response(session)

    @extend_schema(
        request=s.DraftSerializer,
        responses={200: s.SessionOutSerializer, **ERRORS},
        description="Edit the draft. While the session is connecting or connected the "
        "handshake (everything but name and variables) cannot change: 409 session_connected.",
    )
    def patch(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        data = parse(s.DraftSerializer, request)
        services.session_update(session=session, data=data)
        return _session_response(self.reread())

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        services.session_delete(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionConnect(SessionView):
    @extend_schema(
        request=s.ConnectSerializer,
        responses={200: s.SessionOutSerializer, 202: s.SessionOutSerializer, **SESSION_ERRORS},
        description="Open the upstream connection with the draft's handshake. Waits for the "
        "outcome: 200 open; 403 egress_denied; 502 connect_failed with the reason (dns, "
        "refused, tls, timeout, handshake with the refused status...). 202 when not waiting.",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        data = parse(s.ConnectSerializer, request)
        if request.query_params.get("wait", "").lower() in ("0", "false", "no"):
            data["wait"] = False
        outcome = services.session_connect(session=session, actor=request.user, wait=data["wait"])
        session = self.reread()
        if outcome is None or outcome.get("code") == "already_connected":
            return _session_response(session, status.HTTP_202_ACCEPTED)
        if outcome.get("ok"):
            return _session_response(session)
        connection = s.connection_data(selectors.session_connection(session=session))
        error = EgressDenied if outcome.get("code") == "egress_denied" else ConnectFailed
        raise error(
            outcome.get("detail"),
            kind=outcome.get("kind"),
            state=session.state,
            connection=connection,
        )


class SessionDisconnect(SessionView):
    @extend_schema(
        request=s.DisconnectSerializer,
        responses={200: s.SessionOutSerializer, **SESSION_ERRORS},
        description="Close the upstream connection (code 1000 or 3000-4999, optional reason). "
        "Answers once the close is logged; a session that is not connected is left as it is.",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        data = parse(s.DisconnectSerializer, request)
        services.session_disconnect(
            session=session, code=data["code"], reason=data["reason"], wait=data["wait"]
        )
        return _session_response(self.reread())


class SessionMessages(SessionView):
    @extend_schema(
        request=s.SendSerializer,
        responses={201: s.SentSerializer, **SESSION_ERRORS},
        description="Send a message: text, json, xml, html as a text frame; base64, hex decoded "
        "into a binary frame; or a documented message by id (`example`: which of its "
        "examples). {{variables}} are resolved at every send (`variables` gives values for "
        "this send only). Answers once the relay sent and stored it, with its sequence number "
        "and the contract check (`message`, `contract`, `problems`, and `warning` when it "
        "went out invalid). An unknown variable or an invalid body is a 400 and nothing is "
        "sent; so is a body violating its schema on a strict endpoint (contract_violation).",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        data = parse(s.SendSerializer, request)
        sent = sending.message_send(
            session=session,
            fmt=data.get("format"),
            body=data.get("body"),
            message_id=data.get("message_id"),
            example=data.get("example"),
            actor=request.user,
            variables=data.get("variables"),
        )
        return Response(sent, status=status.HTTP_201_CREATED)


class SessionEvents(SessionView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Only events with a larger seq."),
            OpenApiParameter("limit", int, description="At most this many (default 100)."),
            OpenApiParameter("direction", str, enum=["in", "out"]),
            OpenApiParameter("kind", str, description="Kinds, comma-separated."),
            OpenApiParameter("q", str, description="Text contained (case-insensitive)."),
            OpenApiParameter("connection", int, description="Only this connection's events."),
            OpenApiParameter(
                "contract",
                str,
                enum=["valid", "invalid", "undocumented"],
                description="Only entries with this contract check.",
            ),
            OpenApiParameter(
                "event",
                str,
                description="Socket.IO: only entries of this event (emits, receipts, acks).",
            ),
            OpenApiParameter(
                "sio",
                str,
                enum=["hide_heartbeats"],
                description="Socket.IO: hide_heartbeats leaves out Engine.IO pings and pongs.",
            ),
        ],
        responses={200: event_serializers.EventPageSerializer, **ERRORS},
    )
    def get(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        params = request.query_params
        after = whole_number(request.query_params, "after", default=0, low=0, high=2**62)
        limit = whole_number(
            request.query_params, "limit", default=100, low=1, high=settings.API_MAX_PAGE_SIZE
        )
        kinds = [k.strip() for k in params.get("kind", "").split(",") if k.strip()]
        filters = event_serializers.EventFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        events, has_more = selectors.session_events(
            session=session,
            after=after,
            limit=limit,
            direction=params.get("direction"),
            kind=kinds or None,
            text=params.get("q") or None,
            connection=whole_number(
                request.query_params, "connection", default=None, low=1, high=2**31
            ),
            contract=filters.validated_data.get("contract"),
            event=filters.validated_data.get("event"),
            hide_heartbeats=filters.validated_data.get("sio") == "hide_heartbeats",
        )
        next_after = events[-1].seq if events and has_more else None
        next_url = None
        if next_after is not None:
            query = params.copy()
            query["after"] = str(next_after)
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")
        return Response(
            {
                "results": [event_data(e) for e in events],
                "has_more": has_more,
                "next_after": next_after,
                "next": next_url,
            }
        )


class _FormatIsAView(DefaultContentNegotiation):
    """Here ``?format=`` picks how a message is shown, not DRF's response renderer."""

    class settings:
        URL_FORMAT_OVERRIDE = None


class SessionEventDetail(SessionView):
    content_negotiation_class = _FormatIsAView

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(DETAIL_VIEWS)),
            OpenApiParameter("encoding", str, description="utf-8, utf-16, latin-1, ..."),
            OpenApiParameter(
                "as", str, enum=["json", "base64", "raw"], description="raw: download the bytes."
            ),
        ],
        responses={
            (200, "application/json"): event_serializers.EventDetailSerializer,
            # ?as=raw: the original bytes, as a download.
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (200, "text/plain"): OpenApiTypes.STR,
            **ERRORS,
        },
        description="One message in full: text pretty-printed when it parses (or as ?format=, "
        "re-decoded with ?encoding=), binary as a hexdump; ?as=base64 or ?as=raw (download).",
    )
    def get(self, request: AuthenticatedRequest, session_id: int, seq: int) -> Any:
        session = self.session
        event = selectors.event_get(session=session, seq=seq)
        mode = request.query_params.get("as", "json")
        view = request.query_params.get("format")
        if view is not None and view not in DETAIL_VIEWS:  # checked whatever ``as`` says
            raise ValidationFailed({"format": [f"Use one of {', '.join(DETAIL_VIEWS)}."]})
        if mode == "raw":
            binary = event.opcode == "binary"
            response = HttpResponse(
                event_bytes(event),
                content_type="application/octet-stream" if binary else "text/plain; charset=utf-8",
            )
            suffix = "bin" if binary else "txt"
            response["Content-Disposition"] = (
                f'attachment; filename="session-{session.pk}-{event.seq}.{suffix}"'
            )
            response["X-Content-Type-Options"] = "nosniff"
            return response
        if mode not in ("json", "base64"):
            raise ValidationFailed({"as": ["Use json, base64 or raw."]})
        view = "base64" if mode == "base64" else view
        data = event_detail_data(event, view=view, encoding=request.query_params.get("encoding"))
        data["documented"] = selectors.event_documented(session=session, event=event)
        return Response(data)


class SessionConnections(SessionView):
    @extend_schema(
        responses={200: s.ConnectionOutSerializer(many=True), **ERRORS},
    )
    def get(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        return Response(
            [s.connection_data(c) for c in selectors.session_connections(session=session)]
        )


class SessionSave(SessionView):
    @extend_schema(
        request=s.SaveSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, description="Source endpoint version."
            )
        ],
        responses={200: EndpointOutSerializer, 201: EndpointOutSerializer, **ERRORS},
        description="Save the draft as a new endpoint (target=new, in folder) or back into the "
        "endpoint it came from (target=source, with its version check). Editors and admins.",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        session = self.session
        data = parse(s.SaveSerializer, request)
        membership = project_membership(
            user=request.user, project_id=session.project_id, action=Action.WRITE
        )
        target = data.get("target") or ("source" if session.endpoint_id else "new")
        messages = data.get("messages")
        saved = services.session_save(
            session=session,
            actor=request.user,
            target=target,
            name=data.get("name"),
            folder_id=data.get("folder"),
            messages=[dict(m) for m in messages] if messages is not None else None,
            expected_version=expected_version(request, data.get("version")),
        )
        endpoint = endpoint_get(project=membership.project, endpoint_id=saved.pk)
        response = versioned(endpoint_data(endpoint), endpoint.version)
        if target == "new":
            response.status_code = status.HTTP_201_CREATED
        return response


class FormatBody(APIView):
    @extend_schema(
        request=s.FormatSerializer,
        responses={200: s.FormattedSerializer, **ERRORS},
        description="Pretty-print a JSON, XML or HTML body; invalid JSON/XML is a 400 saying where.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = parse(s.FormatSerializer, request)
        try:
            formatted = pretty(data["format"], data["body"])
        except BodyFormatError as exc:
            raise ValidationFailed({"body": [str(exc)]}) from None
        return Response({"format": data["format"], "formatted": formatted})


class ProjectCABundleView(ProjectView):
    """Extra CA certificates trusted for this project's wss:// upstreams."""

    actions = project_actions(put=Action.MANAGE, delete=Action.MANAGE)

    @extend_schema(responses={200: s.CABundleOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response(s.ca_bundle_data(selectors.project_ca_bundle(project=self.project)))

    @extend_schema(
        request=s.CABundleInSerializer, responses={200: s.CABundleOutSerializer, **ERRORS}
    )
    def put(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.CABundleInSerializer, request)
        bundle = services.ca_bundle_set(project=self.project, actor=request.user, pem=data["pem"])
        return Response(s.ca_bundle_data(bundle))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int) -> Response:
        services.ca_bundle_delete(project=self.project, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
