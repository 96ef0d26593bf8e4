"""Two writers of one project must not deadlock: one holds an endpoint locked and then takes the
project's event sequence; the other inserts a row referencing that endpoint (a comment) and
then takes the sequence. The insert's foreign-key check is deferred; run at COMMIT it would wait
for the endpoint while holding the project row the first writer waits for. ``events.publish``
runs pending checks before it locks the project row. Found by the API load run."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from endpoints.activity import events
from endpoints.activity.event_kinds import EventKind
from endpoints.models import Comment, Endpoint
from endpoints.tree.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_locked_endpoint_and_a_comment_on_it_do_not_deadlock(team):
    endpoint = endpoint_create(
        project=team.project, actor=team.admin, data={"name": "Ticker", "url": "wss://x.test/"}
    )
    # Any valid event will do: what matters is when publish() takes the project row.
    event = {
        "kind": EventKind.PROJECT_UPDATED,
        "project": {"id": team.project.pk, "name": team.project.name, "version": 1},
    }
    locked, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def editor() -> None:  # locks the endpoint first, takes the sequence later
        try:
            with transaction.atomic():
                Endpoint.objects.select_for_update().get(pk=endpoint.pk)
                locked.set()
                time.sleep(0.8)  # the commenter is blocked by now
                events.publish(project_id=team.project.pk, actor=team.admin, events=[event])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()
            done.set()

    def commenter() -> None:  # references the endpoint first, takes the sequence later
        try:
            locked.wait(10)
            with transaction.atomic():
                Comment.objects.create(
                    project=team.project, endpoint_id=endpoint.pk, author=team.editor, body="hi"
                )
                events.publish(project_id=team.project.pk, actor=team.editor, events=[event])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=editor), threading.Thread(target=commenter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert Comment.objects.filter(endpoint_id=endpoint.pk).count() == 1
