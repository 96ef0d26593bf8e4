"""Which relay takes a new connection, and whether the relay holding a session is alive.

The web side asks here; the relays themselves only write the registry (``store``: register,
heartbeat, unregister). In embedded mode the relay of this very process is the only one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from sessions.errors import RelayUnavailable
from sessions.models import ACTIVE_STATES, DebugSession, Relay
from sessions.relay import embedded


def embedded_relay() -> Relay:
    """The registry row of this process's relay, started first if it is not running.

    Call it outside a transaction: the relay registers itself from its own thread.
    """
    relay = async_to_sync(embedded.ensure_started)()
    found = Relay.objects.filter(pk=relay.pk).first()
    if found is None:
        raise RelayUnavailable("The embedded relay is restarting; try again in a moment.")
    return found


def relay_choose(*, in_process: Relay | None = None) -> Relay:
    """The relay for a new connection: ``in_process`` (the embedded relay) if it has room,
    or else the live relay worker holding the fewest connections. RelayUnavailable when none
    can take it. Call it in the transaction that claims the session."""
    if in_process is not None:
        held = DebugSession.objects.filter(relay=in_process, state__in=ACTIVE_STATES).count()
        if held >= in_process.capacity:
            raise RelayUnavailable(
                f"The relay holds its maximum of {in_process.capacity} connections "
                "(RELAY_MAX_CONNECTIONS); try again later."
            )
        return in_process
    relays = (
        Relay.objects.filter(heartbeat_at__gte=lost_cutoff())
        .annotate(active=Count("sessions", filter=Q(sessions__state__in=ACTIVE_STATES)))
        .order_by("active", "pk")
    )
    candidates = list(relays)
    for relay in candidates:
        if relay.active < relay.capacity:
            return relay
    if candidates:
        raise RelayUnavailable(
            "Every relay holds its maximum number of connections (RELAY_MAX_CONNECTIONS); "
            "try again later or start another relay worker."
        )
    raise RelayUnavailable(
        "No relay worker is running. Start one with `python manage.py relay_worker` "
        "(it needs the same REDIS_URL and DATABASE_URL as the web server)."
    )


def session_relay_alive(*, session: DebugSession) -> bool:
    """Whether the relay ``session`` names can still be holding its connection."""
    if settings.RELAY_EMBEDDED:
        # Only this process can hold connections; one held by another relay (a previous run
        # of the server) is gone, whatever its last heartbeat says.
        return embedded.running_relay_pk() == session.relay_id
    relay = session.relay
    return relay is not None and relay.heartbeat_at >= lost_cutoff()


def lost_cutoff() -> datetime:
    """A relay whose last heartbeat is older is lost."""
    return timezone.now() - timedelta(seconds=settings.RELAY_LOST_AFTER)
