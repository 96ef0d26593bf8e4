"""A database outage longer than RELAY_LOST_AFTER: every relay's heartbeat is old when it ends,
and the first relay back must not declare the others lost (their sessions would be dropped
although their connections are fine). A relay sweeps only after RELAY_LOST_AFTER of unbroken
heartbeats. The outage is real: the relays' connections are terminated by the server and the
address they reconnect to refuses connections until it is restored."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from scripts.scaled import free_port
from sessions import services
from sessions.models import DebugSession, Relay
from tests.polling import wait_for
from tests.sessions.conftest import RelayThread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def held_session(team: Any, relay: Any) -> int:
    session = services.session_create(
        actor=team.editor, project=team.project, data={"url": "ws://upstream.test/"}
    )
    DebugSession.objects.filter(pk=session.pk).update(
        state="open", relay_id=relay.pk, relay_channel=relay.channel_name, connection_count=1
    )
    return session.pk


def test_relays_do_not_reap_each_other_after_a_database_outage(settings, team):
    settings.RELAY_HEARTBEAT_INTERVAL = 0.3
    settings.RELAY_LOST_AFTER = 1.5
    relays = [RelayThread(), RelayThread()]
    try:
        sessions = [held_session(team, r.relay) for r in relays]
        time.sleep(2.0)  # both have been beating for longer than RELAY_LOST_AFTER
        saved = dict(connection.settings_dict)
        connection.settings_dict["PORT"] = str(free_port())
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            time.sleep(3.0)  # no heartbeat reaches the database for twice RELAY_LOST_AFTER
            stale = time.time() - max(r.heartbeat_at.timestamp() for r in Relay.objects.all())
            assert stale > 1.5
        finally:
            connection.settings_dict.update(saved)
        # Both beat again; neither reaped the other (it would within a heartbeat or two).
        wait_for(
            lambda: all(r.heartbeat_at.timestamp() > time.time() - 1 for r in Relay.objects.all()),
            timeout=10,
        )
        time.sleep(2.5)
        assert sorted(Relay.objects.values_list("pk", flat=True)) == sorted(
            r.relay.pk for r in relays
        )
        states = dict(DebugSession.objects.filter(pk__in=sessions).values_list("pk", "state"))
        assert states == {pk: "open" for pk in sessions}
        # A relay that really stops beating is still reaped by the other.
        stopped = relays[1].relay
        relays[1].runner.loop.call_soon_threadsafe(lambda: [t.cancel() for t in stopped._loops])
        wait_for(
            lambda: DebugSession.objects.filter(pk=sessions[1], state="lost").exists(),
            timeout=10,
        )
        assert DebugSession.objects.get(pk=sessions[0]).state == "open"
    finally:
        for relay in relays:
            relay.stop()
