"""REST API of a session's connection control: pings, repeating messages (timers), and
Socket.IO emits."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import parse
from core.requests import AuthenticatedRequest
from sessions import control, emit_serializers, emitting
from sessions import control_serializers as s
from sessions.api import SESSION_ERRORS, SessionView


class SessionPing(SessionView):
    @extend_schema(
        request=s.PingSerializer,
        responses={201: s.PingSentSerializer, **SESSION_ERRORS},
        description="Send a ping on the open connection (payload of at most 125 bytes, "
        "written as text, hex or base64; omitted: four random bytes). Answers once the ping "
        "is logged; its pong is logged as it arrives, with the round-trip time (rtt_ms).",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        data = parse(s.PingSerializer, request)
        sent = control.session_ping(
            session=self.session, payload=data.get("payload"), fmt=data.get("format")
        )
        return Response(sent, status=status.HTTP_201_CREATED)


class SessionTimers(SessionView):
    @extend_schema(responses={200: s.TimerListSerializer, **SESSION_ERRORS})
    def get(self, request: AuthenticatedRequest, session_id: int) -> Response:
        return Response({"results": control.timer_list(session=self.session)})

    @extend_schema(
        request=s.TimerInSerializer,
        responses={201: s.TimerSerializer, **SESSION_ERRORS},
        description="Repeat a message on the open connection: every interval_ms, count times "
        "or until stopped; the first send goes out at once. The message is given like a send "
        "(format and body, or message_id); {{variables}} and dynamic values are resolved at "
        "each send. Each send is logged as a sent message. A session runs at most "
        "SESSION_MAX_TIMERS (429 beyond); timers end with the connection.",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        data = parse(s.TimerInSerializer, request)
        timer = control.timer_start(
            session=self.session,
            actor=request.user,
            interval_ms=data["interval_ms"],
            count=data.get("count"),
            name=data.get("name") or "",
            fmt=data.get("format"),
            body=data.get("body"),
            message_id=data.get("message_id"),
            example=data.get("example"),
            variables=data.get("variables"),
        )
        return Response(timer, status=status.HTTP_201_CREATED)


class SessionTimer(SessionView):
    @extend_schema(responses={200: s.TimerSerializer, **SESSION_ERRORS})
    def delete(self, request: AuthenticatedRequest, session_id: int, timer_id: int) -> Response:
        return Response(control.timer_stop(session=self.session, timer_id=timer_id))


class SessionEmit(SessionView):
    @extend_schema(
        request=emit_serializers.EmitSerializer,
        responses={201: emit_serializers.EmittedSerializer, **SESSION_ERRORS},
        description="Socket.IO sessions: emit an event with any number of JSON arguments "
        '(binary ones as {"$binary": base64}), optionally asking for an acknowledgement '
        "(`ack`, `ack_timeout`): the ack is logged linked to the emit (`info.sio.ack_of`), or "
        "an ack_timeout entry when none came. Or a documented event by `message_id`; or "
        "`answer` a server's event that asked for an ack. Answers once the relay sent and "
        "stored it. A bad event name, arguments that are not a JSON array or a bad namespace "
        "is a 400 naming the field, and nothing is sent.",
    )
    def post(self, request: AuthenticatedRequest, session_id: int) -> Response:
        data = parse(emit_serializers.EmitSerializer, request)
        sent = emitting.event_emit(session=self.session, actor=request.user, **data)
        return Response(sent, status=status.HTTP_201_CREATED)
