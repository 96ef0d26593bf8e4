"""Errors of debug sessions; the one handler in core.errors turns them into HTTP."""

from __future__ import annotations

from rest_framework import status

from core.errors import Conflict, DomainError


class SessionConnected(Conflict):
    code = "session_connected"
    default_detail = (
        "The handshake (URL, params, headers, cookies, subprotocols, settings) cannot change "
        "while the session is connecting or connected; disconnect first."
    )


class AlreadyConnected(Conflict):
    code = "already_connected"
    default_detail = "The session is already connecting or connected; disconnect first."


class NotConnected(Conflict):
    code = "not_connected"
    default_detail = "The session is not connected; connect first."


class NoSourceEndpoint(Conflict):
    code = "no_source_endpoint"
    default_detail = (
        "This session was not opened from an endpoint (or it was deleted); save it as a new "
        'endpoint with "target": "new".'
    )


class EgressDenied(DomainError, status=status.HTTP_403_FORBIDDEN):
    """The egress policy denies an address of the target (raised by the relay's check, and
    by the connect call that reports it); nothing was sent to it."""

    code = "egress_denied"
    default_detail = "The egress policy does not allow connecting to this address."


class ConnectFailed(DomainError, status=status.HTTP_502_BAD_GATEWAY):
    code = "connect_failed"
    default_detail = "The upstream connection could not be opened."


class MessageTooLarge(DomainError, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE):
    code = "message_too_large"
    default_detail = "The message is larger than the session's maximum message size."


class ConnectionLimit(DomainError, status=status.HTTP_429_TOO_MANY_REQUESTS):
    code = "connection_limit"
    default_detail = "You have as many open connections as allowed; disconnect one first."


class RelayUnavailable(DomainError, status=status.HTTP_503_SERVICE_UNAVAILABLE):
    code = "relay_unavailable"
    default_detail = "No relay can take the connection right now."


class RelayTimeout(DomainError, status=status.HTTP_504_GATEWAY_TIMEOUT):
    code = "relay_timeout"
    default_detail = "The relay holding the connection did not answer in time."


class ContractViolation(DomainError):
    """A send whose body violates its documented schema, on an endpoint set to ``strict``;
    ``fields`` names each problem by its JSON Pointer (``body`` when it is not JSON at all)."""

    code = "contract_violation"
    default_detail = "The message violates the endpoint's documented schema; nothing was sent."


class TooManyTimers(DomainError, status=status.HTTP_429_TOO_MANY_REQUESTS):
    code = "too_many_timers"
    default_detail = "This session runs as many timers as allowed (SESSION_MAX_TIMERS)."
