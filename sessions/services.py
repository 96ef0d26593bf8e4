"""How debug sessions change: drafts, connecting and disconnecting through the relay, and
saving into the endpoint tree (sending a message is ``sessions.sending``). Which relay takes a connection is asked of
``sessions.relay.registry``; ending sessions no relay holds is ``sessions.relay.reaper``'s.

Database changes happen in one transaction each; commands to the relay are sent only after the
transaction that claimed the session committed, so the relay always finds the claim.
"""

from __future__ import annotations

import contextlib
import ssl
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.errors import NotFound, ValidationFailed
from core.timestamps import iso
from endpoints.activity import events
from endpoints.activity.event_kinds import EventKind
from endpoints.auth import clean_auth
from endpoints.environments.resolver import check_url_protocol, url_template_problem
from endpoints.handshake import (
    TEMPLATE_FIELDS,
    clean_settings,
    handshake_copy,
    handshake_data,
    socketio_stored,
)
from endpoints.models import Endpoint, Environment, Project
from endpoints.tree.services import endpoint_create, endpoint_update
from sessions.connect_request import relay_request
from sessions.errors import (
    AlreadyConnected,
    ConnectionLimit,
    NoSourceEndpoint,
    RelayUnavailable,
    SessionConnected,
)
from sessions.models import (
    ACTIVE_STATES,
    Connection,
    DebugSession,
    FailureKind,
    ProjectCABundle,
    Relay,
    SessionState,
)
from sessions.relay import client, reaper, registry
from sessions.relay.protocol import CONNECT, DISCONNECT

DRAFT_FIELDS = ("name", *TEMPLATE_FIELDS, "protocol")
# Draft fields that are not part of the handshake: they may change while connected.
UNFROZEN_FIELDS = frozenset({"name", "variables"})
# Extra seconds a web process waits for a relay beyond the operation's own timeout.
REPLY_MARGIN = 5.0
DISCONNECT_TIMEOUT = 10.0
# Touching last_activity_at on every read would turn reads into writes.
TOUCH_RESOLUTION = timedelta(seconds=30)


# --- drafts ---------------------------------------------------------------------------------


def _checked_environment(project_id: int, environment_id: int | None) -> int | None:
    if environment_id is not None and not (
        Environment.objects.filter(project_id=project_id, pk=environment_id).exists()
    ):
        raise ValidationFailed(
            {"environment": [f"No environment {environment_id} in this project."]}
        )
    return environment_id


def _merged_variables(current: dict[str, str], given: dict[str, str | None]) -> dict[str, str]:
    """``given`` replaces the session's values. ``null`` keeps the value the session already
    has for that name: responses show values of secret names as null, so a response can be
    sent back as it is without erasing them."""
    merged: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in given.items():
        if value is not None:
            merged[name] = value
        elif name in current:
            merged[name] = current[name]
        else:
            errors[f"variables.{name}"] = ["This session has no value to keep; give a string."]
    if errors:
        raise ValidationFailed(errors)
    return merged


def _apply_draft(session: DebugSession, data: dict[str, Any]) -> None:
    for field in DRAFT_FIELDS:
        if field in data:
            setattr(session, field, data[field])
    if "settings" in data:
        session.connection_settings = clean_settings(
            data["settings"], base=session.connection_settings
        )
    if "socketio" in data:
        session.socketio = socketio_stored(data["socketio"], session.socketio)
    if {"url", "protocol"} & data.keys():
        check_url_protocol(session)
    if data.get("auth") is not None:
        session.auth = clean_auth(data["auth"], stored=session.auth)
    if "environment" in data:
        session.environment_id = _checked_environment(session.project_id, data["environment"])
    if "variables" in data:
        session.variables = _merged_variables(session.variables or {}, data["variables"])


@transaction.atomic
def session_create(
    *,
    actor: User,
    project: Project,
    endpoint: Endpoint | None = None,
    data: dict[str, Any] | None = None,
    for_run: bool = False,
) -> DebugSession:
    """A new session, its draft copied from ``endpoint`` (when given) and then ``data``;
    ``for_run``: a connection of a scenario run."""
    data = data or {}
    session = DebugSession(owner=actor, project=project, endpoint=endpoint, for_run=for_run)
    if endpoint is not None:
        session.name = endpoint.name
        handshake_copy(endpoint, session)
        session.connection_settings = clean_settings(None, base=endpoint.connection_settings)
    else:
        session.connection_settings = clean_settings(None)
    _apply_draft(session, data)
    session.save()
    return session


@transaction.atomic
def session_update(*, session: DebugSession, data: dict[str, Any]) -> DebugSession:
    """Change the draft; a handshake change (anything but the name and the session's
    variable values) is refused (409) while a connection is being opened or is open."""
    locked = DebugSession.objects.select_for_update().get(pk=session.pk)
    handshake_change = any(field not in UNFROZEN_FIELDS for field in data)
    if handshake_change and locked.state in ACTIVE_STATES:
        raise SessionConnected(state=locked.state)
    _apply_draft(locked, data)
    locked.last_activity_at = timezone.now()
    locked.save()
    return locked


def session_delete(*, session: DebugSession) -> None:
    """Delete the session and its log; an open connection is closed first (best effort)."""
    if session.state in ACTIVE_STATES and session.relay_channel:
        with contextlib.suppress(RelayUnavailable):
            client.call_sync(
                session.relay_channel,
                {"type": DISCONNECT, "session": session.pk, "code": 1000, "reason": ""},
                DISCONNECT_TIMEOUT,
            )
    DebugSession.objects.filter(pk=session.pk).delete()


def session_touch(*, session: DebugSession) -> None:
    """Record API or viewer activity (the idle timeout counts from it), at most every 30 s."""
    now = timezone.now()
    if now - session.last_activity_at >= TOUCH_RESOLUTION:
        DebugSession.objects.filter(pk=session.pk).update(last_activity_at=now)
        session.last_activity_at = now


# --- connecting -----------------------------------------------------------------------------


def session_claim(
    *, session: DebugSession, actor: User, relay: Relay | None = None, for_run: bool = False
) -> tuple[Relay, dict[str, Any], dict[str, Any]]:
    """Resolve the session's handshake, claim the session for ``relay`` (by default the one
    ``relay_choose`` picks) and record the new connection; returns the relay, the connect
    command for it and the connection settings. Nothing is sent.

    Variables are resolved first: an unknown one, or a handshake that is invalid once they
    are substituted, is an error before anything is written. ``for_run``: the session belongs
    to a scenario run, whose connections the run limits count instead of
    SESSION_MAX_OPEN_PER_USER.
    """
    relay_request_data, shown = relay_request(session, actor)
    if for_run:
        # A run checks what its steps see: a dropped connection fails it, never reconnects.
        relay_request_data["settings"] = {**relay_request_data["settings"], "reconnect": False}
    conn_settings = relay_request_data["settings"]
    # A run's relay claims its sessions from its own thread, with no event loop: asking there
    # for the embedded relay would start a second one (on a throwaway loop) per connect.
    in_process = registry.embedded_relay() if settings.RELAY_EMBEDDED and relay is None else None
    with transaction.atomic():
        # One connect at a time per user, so two cannot both slip under the limit.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        locked = DebugSession.objects.select_for_update().get(pk=session.pk)
        if locked.state in ACTIVE_STATES:
            raise AlreadyConnected(state=locked.state)
        limit = settings.SESSION_MAX_OPEN_PER_USER
        if (
            not for_run
            and DebugSession.objects.filter(owner_id=actor.pk, state__in=ACTIVE_STATES).count()
            >= limit
        ):
            raise ConnectionLimit(
                f"You already have {limit} open connections, the most allowed "
                "(SESSION_MAX_OPEN_PER_USER); disconnect one first.",
                limit=limit,
            )
        chosen = relay if relay is not None else registry.relay_choose(in_process=in_process)
        locked.connection_count += 1
        locked.state = SessionState.CONNECTING
        locked.relay = chosen
        locked.relay_channel = chosen.channel_name
        locked.last_activity_at = timezone.now()
        locked.save(
            update_fields=[
                "connection_count",
                "state",
                "relay",
                "relay_channel",
                "last_activity_at",
                "updated_at",
            ]
        )
        Connection.objects.create(
            session=locked,
            number=locked.connection_count,
            relay_name=f"{chosen.host}:{chosen.pid} ({chosen.mode})",
            request_url=shown["url"],
            request_headers=shown["headers"],
            request_cookies=shown["cookies"],
            subprotocols_offered=shown["subprotocols"],
            client_certificate=shown.get("client_certificate"),
        )
    message = {
        "type": CONNECT,
        "session": locked.pk,
        "connection": locked.connection_count,
        "request": relay_request_data,
    }
    return chosen, message, conn_settings


def session_connect(
    *, session: DebugSession, actor: User, wait: bool = True
) -> dict[str, Any] | None:
    """Claim the session for a relay and ask it to connect.

    Returns the relay's reply (``ok``, ``code``, ``kind``, ``detail``) once the outcome is
    stored, or None when not waiting or no reply came in time (the session stays
    ``connecting`` and the log shows the outcome later).
    """
    relay, message, conn_settings = session_claim(session=session, actor=actor)
    try:
        if not wait:
            client.send_sync(relay.channel_name, message)
            return None
        timeout = float(conn_settings["open_timeout"]) + REPLY_MARGIN
        return client.call_sync(relay.channel_name, message, timeout)
    except RelayUnavailable as exc:
        # The relay never got the command: release the claim rather than leave it connecting.
        client.publish_sync(
            reaper.sessions_end(
                session_ids=[message["session"]],
                detail=exc.detail,
                state=SessionState.FAILED,
                kind=FailureKind.RELAY,
            )
        )
        raise


def session_disconnect(
    *, session: DebugSession, code: int = 1000, reason: str = "", wait: bool = True
) -> None:
    """Close the upstream connection with ``code`` and ``reason`` (a no-op when not connected)."""
    with transaction.atomic():
        locked = DebugSession.objects.select_for_update().get(pk=session.pk)
        if locked.state not in ACTIVE_STATES or not locked.relay_channel:
            return
        if locked.state != SessionState.CLOSING:
            locked.state = SessionState.CLOSING
            locked.last_activity_at = timezone.now()
            locked.save(update_fields=["state", "last_activity_at", "updated_at"])
    message = {"type": DISCONNECT, "session": locked.pk, "code": code, "reason": reason}
    if wait:
        client.call_sync(locked.relay_channel, message, DISCONNECT_TIMEOUT)
    else:
        client.send_sync(locked.relay_channel, message)


# --- saving into the endpoint tree ----------------------------------------------------------


def _endpoint_fields(session: DebugSession) -> dict[str, Any]:
    problem = url_template_problem(session.url, session.protocol)
    if problem:
        raise ValidationFailed({"url": [problem]})
    # The stored tab, credentials included: the endpoint keeps what the session used.
    return {**handshake_data(session), "auth": dict(session.auth or {})}


@transaction.atomic
def session_save(
    *,
    session: DebugSession,
    actor: User,
    target: str,
    name: str | None = None,
    folder_id: int | None = None,
    messages: list[dict[str, Any]] | None = None,
    expected_version: int | None = None,
) -> Endpoint:
    """Write the draft as a new endpoint (``target="new"``) or into its source endpoint."""
    data = _endpoint_fields(session)
    if messages is not None:
        data["messages"] = messages
    if target == "new":
        data["name"] = name or session.name or "Untitled endpoint"
        data["folder"] = folder_id
        endpoint = endpoint_create(project=session.project, actor=actor, data=data)
        DebugSession.objects.filter(pk=session.pk).update(endpoint=endpoint, name=data["name"])
        session.endpoint, session.name = endpoint, data["name"]
        return endpoint
    source = (
        Endpoint.objects.filter(pk=session.endpoint_id, project_id=session.project_id).first()
        if session.endpoint_id
        else None
    )
    if source is None:
        raise NoSourceEndpoint()
    if name:
        data["name"] = name
    return endpoint_update(
        endpoint=source, actor=actor, data=data, expected_version=expected_version
    )


# --- relays that stopped --------------------------------------------------------------------


def session_mark_lost_if_relay_stopped(*, session: DebugSession) -> bool:
    """A write on access: if the relay holding ``session`` stopped, mark the session lost now
    and tell its viewers. True if it was (read the session again)."""
    if session.state not in ACTIVE_STATES or registry.session_relay_alive(session=session):
        return False
    messages = reaper.sessions_mark_lost(session_ids=[session.pk], detail=reaper.lost_detail())
    client.publish_sync(messages)
    return bool(messages)


# --- extra CA certificates ------------------------------------------------------------------

MAX_CA_BUNDLE = 1024 * 1024


def ca_bundle_set(*, project: Project, actor: User, pem: str) -> ProjectCABundle:
    if len(pem) > MAX_CA_BUNDLE:
        raise ValidationFailed({"pem": [f"At most {MAX_CA_BUNDLE} characters."]})
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValidationFailed({"pem": ["Paste one or more PEM certificates (BEGIN CERTIFICATE)."]})
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        raise ValidationFailed({"pem": [f"Not a valid PEM certificate bundle: {exc}."]}) from None
    with transaction.atomic():
        bundle, _ = ProjectCABundle.objects.update_or_create(
            project=project, defaults={"pem": pem, "updated_by": actor}
        )
        # Which bundle and when, never the PEM: members read it again over REST.
        events.publish(
            project_id=project.pk,
            actor=actor,
            events=[
                {
                    "kind": EventKind.CA_BUNDLE_UPDATED,
                    "ca_bundle": {"project": project.pk, "updated_at": iso(bundle.updated_at)},
                }
            ],
        )
    return bundle


def ca_bundle_delete(*, project: Project, actor: User) -> None:
    with transaction.atomic():
        deleted, _ = ProjectCABundle.objects.filter(project=project).delete()
        if not deleted:
            raise NotFound("This project has no CA bundle.")
        events.publish(
            project_id=project.pk,
            actor=actor,
            events=[{"kind": EventKind.CA_BUNDLE_DELETED, "ca_bundle": {"project": project.pk}}],
        )
