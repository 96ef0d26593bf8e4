"""The request a relay connects with: the session's handshake resolved for a member, its
connection settings, the project's extra CA certificates and the endpoint's contract. Built
at connect (``services.session_claim``) and again for each automatic reconnect
(``relay.reconnect``), so a variable changed in between applies."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from sessions.certificates import presented
from sessions.contracts import contract_data
from sessions.handshake import resolved_handshake, session_settings
from sessions.models import DebugSession, ProjectCABundle
from sessions.selectors import client_certificate_for


def relay_request(session: DebugSession, actor: User) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(request for the relay, the request as the connection record shows it)``; raises
    UnresolvedVariables or ValidationFailed before anything is written. The project's client
    certificate for a wss:// URL's host goes with the request sealed (the relay opens it),
    and the record names it (``client_certificate``)."""
    request, shown, redact = resolved_handshake(session, actor)
    ca_pem = (
        ProjectCABundle.objects.filter(project_id=session.project_id)
        .values_list("pem", flat=True)
        .first()
    )
    result = {**request, "settings": session_settings(session), "ca_pem": ca_pem or ""}
    certificate = client_certificate_for(project_id=session.project_id, url=request["url"])
    if certificate is not None:
        # Sealed: the key crosses the channel layer encrypted; the relay opens it.
        result["client_certificate"] = {
            "host_pattern": certificate.host_pattern,
            "fingerprint": certificate.fingerprint,
            "sealed": certificate.sealed,
        }
    if session.endpoint_id is not None:
        # Read with the handshake: the relay checks every frame against it, with no query
        # per frame (its heartbeat notices edits).
        result["contract"] = contract_data(session.endpoint_id)
    if shown != request:
        # A secret was substituted: the relay records ``shown`` and masks these spellings
        # wherever they come back.
        result.update(shown=shown, redact=redact)
    if certificate is not None:
        shown = {**shown, "client_certificate": presented(certificate)}
    return result, shown
