"""Workspace benchmark (issue 2): the tree call and a 100-item list page against their bare SQL.

On a PostgreSQL database of its own (created on the ``TEST_DATABASE_URL`` server, dropped at
the end) it seeds 5,000 endpoints in 250 folders (three levels) with tags, assignees, handshake
rows and saved messages, then times, interleaved in one run:

- ``GET /api/v1/projects/{id}/tree/`` and ``GET .../endpoints/?page_size=100``: server time, i.e.
  the whole Django handler in-process (middleware, DRF, permission lookup, selector, rendering
  JSON), through DRF's test client with ``force_authenticate`` — no socket, no Daphne;
- the bare SQL that fetches the same rows (hand-written SQL, ``cursor.fetchall()``).

Targets (ratios of the p50s, because the machine is shared and absolute times are noisy):
tree ≤ 3x its bare SQL and ≤ 3 queries to build it (the membership lookup of every project
call comes on top); list page ≤ 5x its bare SQL. Exits 1 when a target is missed.

    python -m tests.bench workspace [--iterations N] [--profile] [--keep-db] ...
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import django

SETTINGS_MODULE = "config.test_settings"
DEFAULT_DB_NAME = "bench_switchboard"
PAGE_SIZE = 100

TREE_MAX_RATIO = 3.0
TREE_MAX_QUERIES = 3
LIST_MAX_RATIO = 5.0


# --- set-up ---------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench workspace",
        description="Tree and list-page server time against the bare SQL of the same rows.",
    )
    add_size_args(parser, endpoints=5000, folders=250, iterations=100, warmup=10)
    add_database_args(parser, db_name=DEFAULT_DB_NAME, seed=2)
    return parser.parse_args(argv)


def configure_django(db_name: str) -> dict[str, Any]:
    """The test settings (PostgreSQL from TEST_DATABASE_URL), pointed at the bench's own database.

    Returns how to reach the server's maintenance database (the URL's own), to create and drop
    the bench database from. The connection is kept open across requests, as a server with
    DATABASE_CONN_MAX_AGE does, so that connecting is not counted as handling a request.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The workspace benchmark needs PostgreSQL (TEST_DATABASE_URL).")
    server = {
        "dbname": database["NAME"] or "postgres",
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    database["NAME"] = db_name
    database["CONN_MAX_AGE"] = None
    database["CONN_HEALTH_CHECKS"] = False
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Nothing here publishes events; keep Redis out of the measurement.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    django.setup()
    return server


def recreate_database(server: dict[str, Any], name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(**server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: dict[str, Any], name: str) -> None:
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    with psycopg.connect(**server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def add_size_args(
    parser: argparse.ArgumentParser, *, endpoints: int, folders: int, iterations: int, warmup: int
) -> None:
    """How large the seeded project is (``seeded_database``) and how many rounds are timed."""
    parser.add_argument("--endpoints", type=int, default=endpoints, help=f"default {endpoints}")
    parser.add_argument(
        "--folders", type=int, default=folders, help=f"default {folders} (three levels)"
    )
    parser.add_argument(
        "--iterations", type=int, default=iterations, help=f"timed rounds (default {iterations})"
    )
    parser.add_argument(
        "--warmup", type=int, default=warmup, help=f"untimed rounds (default {warmup})"
    )


def add_database_args(parser: argparse.ArgumentParser, *, db_name: str, seed: int) -> None:
    """The options every benchmark has: its database, keeping it, a profile, the random seed."""
    parser.add_argument(
        "--db-name",
        default=db_name,
        help=f"database to create on the TEST_DATABASE_URL server (default {db_name})",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of both")
    parser.add_argument("--seed", type=int, default=seed, help="random seed of the data and order")


def release_database(server: dict[str, Any], args: argparse.Namespace) -> None:
    """Drop the run's database, unless --keep-db."""
    if args.keep_db:
        print(f"kept database {args.db_name}")
        return
    try:
        drop_database(server, args.db_name)
    except Exception as exc:  # the server may be restarting (a shared machine)
        print(f"could not drop database {args.db_name}: {exc}")


@contextmanager
def fresh_database(server: dict[str, Any], args: argparse.Namespace) -> Iterator[float]:
    """A new, migrated database for the run (the seconds migrating took), released after."""
    from django.core.management import call_command

    recreate_database(server, args.db_name)
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        yield time.perf_counter() - started
    finally:
        release_database(server, args)


# --- data -----------------------------------------------------------------------------------


@contextmanager
def seeded_database(
    server: dict[str, Any], args: argparse.Namespace, rng: random.Random
) -> Iterator[Seeded]:
    """A fresh database seeded with ``args.endpoints`` in ``args.folders``; says what it holds."""
    with fresh_database(server, args) as migrated:
        data = seed(endpoints=args.endpoints, folders=args.folders, rng=rng)
        print(
            f"database {args.db_name}: migrated in {migrated:.1f} s; seeded {data.endpoints} "
            f"endpoints in {data.folders} folders (levels {folder_levels(args.folders)}), "
            f"{data.tags} tags, {data.messages} saved messages in {data.seconds:.1f} s"
        )
        yield data


def folder_levels(total: int) -> tuple[int, int, int]:
    """Three levels: 250 folders are 10 top folders, 40 below them and 200 below those."""
    top = max(1, round(total / 25))
    middle = min(top * 4, max(0, total - top))
    return top, middle, max(0, total - top - middle)


def _rows(prefix: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{prefix}-{n}",
            "value": f"{{{{{prefix}_{n}}}}}" if n == 0 else f"v{rng.randrange(10_000)}",
            "enabled": n != 2,
            "description": "" if n else f"The {prefix} the server expects first.",
        }
        for n in range(count)
    ]


@dataclass
class Seeded:
    project: Any
    user: Any
    endpoints: int
    folders: int
    tags: int
    messages: int
    seconds: float


def seed(*, endpoints: int, folders: int, rng: random.Random) -> Seeded:
    """One project with a realistic spread of everything an endpoint holds, via bulk_create."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from endpoints.models import (
        Endpoint,
        EndpointStatus,
        Folder,
        Membership,
        Message,
        Project,
        Role,
        Tag,
    )

    started = time.perf_counter()
    User = get_user_model()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"member{n:02d}",
                    email=f"member{n:02d}@example.test",
                    first_name="" if n % 3 == 0 else f"First{n}",
                    last_name="" if n % 3 == 0 else f"Last{n}",
                    password="!",
                )
                for n in range(20)
            ]
        )
        owner = users[0]
        project = Project.objects.create(name="Benchmark", description="Seeded", created_by=owner)
        Membership.objects.bulk_create(
            Membership(
                project=project,
                user=user,
                role=Role.ADMIN if n == 0 else (Role.EDITOR if n % 2 else Role.VIEWER),
            )
            for n, user in enumerate(users)
        )

        top, middle, bottom = folder_levels(folders)
        level1 = Folder.objects.bulk_create(
            Folder(project=project, name=f"Area {n}", position=n, updated_by=owner)
            for n in range(top)
        )
        level2 = Folder.objects.bulk_create(
            Folder(
                project=project,
                parent=level1[n % top],
                name=f"Service {n}",
                position=n // top,
                updated_by=owner,
            )
            for n in range(middle)
        )
        parents3 = level2 or level1
        level3 = Folder.objects.bulk_create(
            Folder(
                project=project,
                parent=parents3[n % len(parents3)],
                name=f"Channel {n}",
                position=n // len(parents3),
                updated_by=owner,
            )
            for n in range(bottom)
        )
        all_folders = level1 + level2 + level3

        tags = Tag.objects.bulk_create(
            Tag(project=project, name=f"{word}-{n}")
            for n, word in enumerate(["Market", "beta", "auth", "orders", "Zeta", "internal"] * 7)
        )

        statuses = list(EndpointStatus.values)
        new_endpoints = []
        for n in range(endpoints):
            folder = all_folders[n % len(all_folders)]
            assignee = None if n % 7 == 0 else users[n % len(users)]
            new_endpoints.append(
                Endpoint(
                    project=project,
                    folder=folder,
                    name=f"Stream {n} ({folder.name})",
                    url=f"wss://stream{n % 50}.example.test/v2/{folder.name.replace(' ', '-')}/{n}",
                    params=_rows("param", 2, rng),
                    headers=_rows("header", 3, rng),
                    cookies=_rows("cookie", 1, rng),
                    subprotocols=["v2.json"] if n % 3 else [],
                    connection_settings={"open_timeout": 5.0} if n % 4 == 0 else {},
                    status=statuses[n % len(statuses)],
                    assignee=assignee,
                    description=(
                        f"## Stream {n}\n\nPublishes **ticks** for `{folder.name}`; "
                        "subscribe first, then expect a snapshot and deltas.\n\n"
                        "- auth: bearer token in `Authorization`\n- rate: 10 msg/s\n"
                    ),
                    position=n // len(all_folders),
                    created_by=owner,
                    updated_by=users[(n + 1) % len(users)],
                )
            )
        created = Endpoint.objects.bulk_create(new_endpoints, batch_size=1000)

        through = Endpoint.tags.through
        links = [
            through(endpoint_id=endpoint.pk, tag_id=tag.pk)
            for endpoint in created
            for tag in rng.sample(tags, endpoint.pk % 4)
        ]
        through.objects.bulk_create(links, batch_size=5000)

        messages = [
            Message(
                endpoint_id=endpoint.pk,
                position=position,
                name=name,
                format=fmt,
                examples=[{"name": "Example", "body": body}],
                description="Sent right after connecting." if position == 0 else "",
            )
            for endpoint in created
            for position, (name, fmt, body) in enumerate(
                [
                    ("subscribe", "json", '{"op": "subscribe", "channel": "ticks", "depth": 10}'),
                    ("ping", "text", "ping"),
                ]
            )
        ]
        Message.objects.bulk_create(messages, batch_size=5000)

    # Settle the fresh tables first (statistics, visibility map, hint bits), so that neither the
    # first timed rounds nor an autovacuum run in the middle of them pay for the bulk insert.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return Seeded(
        project=project,
        user=owner,
        endpoints=len(created),
        folders=len(all_folders),
        tags=len(tags),
        messages=len(messages),
        seconds=time.perf_counter() - started,
    )


# --- bare SQL: the same rows, no framework ---------------------------------------------------


def bare_sql() -> tuple[Callable[[int], int], Callable[[int], int]]:
    """Two functions that fetch, with plain SQL, the rows the tree and a list page are built from.

    Each returns the number of endpoint rows it fetched, so the run can check it fetched as many
    as the API returned.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection

    from endpoints.models import Endpoint, Folder, Message, Tag

    user = get_user_model()._meta.db_table
    endpoint = Endpoint._meta.db_table
    folder = Folder._meta.db_table
    tag = Tag._meta.db_table
    link = Endpoint.tags.through._meta.db_table
    message = Message._meta.db_table

    tree_sql = (
        f"SELECT id, parent_id, name, position, version FROM {folder} "
        "WHERE project_id = %s ORDER BY position, id",
        f"SELECT e.id, e.folder_id, e.name, e.url, e.status, e.position, e.version, "
        f"e.assignee_id, a.username, a.first_name, a.last_name FROM {endpoint} e "
        f"LEFT JOIN {user} a ON a.id = e.assignee_id "
        "WHERE e.project_id = %s ORDER BY e.position, e.id",
        f"SELECT l.endpoint_id, t.name FROM {link} l JOIN {tag} t ON t.id = l.tag_id "
        f"JOIN {endpoint} e ON e.id = l.endpoint_id WHERE e.project_id = %s "
        "ORDER BY lower(t.name), t.id",
    )
    people = ", ".join(
        f"{alias}.id, {alias}.username, {alias}.first_name, {alias}.last_name"
        for alias in ("a", "c", "u")
    )
    list_count_sql = f"SELECT count(*) FROM {endpoint} WHERE project_id = %s"
    list_page_sql = (
        "SELECT e.id, e.project_id, e.folder_id, e.position, e.name, e.url, e.params, e.headers, "
        "e.cookies, e.subprotocols, e.connection_settings, e.status, e.description, e.version, "
        f"e.created_at, e.updated_at, {people} FROM {endpoint} e "
        f"LEFT JOIN {user} a ON a.id = e.assignee_id "
        f"LEFT JOIN {user} c ON c.id = e.created_by_id "
        f"LEFT JOIN {user} u ON u.id = e.updated_by_id "
        f"WHERE e.project_id = %s ORDER BY e.folder_id, e.position, e.id LIMIT {PAGE_SIZE}"
    )
    list_tags_sql = (
        f"SELECT l.endpoint_id, t.name FROM {link} l JOIN {tag} t ON t.id = l.tag_id "
        "WHERE l.endpoint_id = ANY(%s) ORDER BY lower(t.name), t.id"
    )
    list_messages_sql = (
        f"SELECT id, endpoint_id, name, direction, format, description, schema, examples, "
        f"reply_to, match FROM {message} "
        "WHERE endpoint_id = ANY(%s) ORDER BY position, id"
    )

    def tree(project_id: int) -> int:
        with connection.cursor() as cursor:
            fetched = []
            for query in tree_sql:
                cursor.execute(query, [project_id])
                fetched.append(cursor.fetchall())
        return len(fetched[1])

    def list_page(project_id: int) -> int:
        with connection.cursor() as cursor:
            cursor.execute(list_count_sql, [project_id])
            cursor.fetchone()
            cursor.execute(list_page_sql, [project_id])
            rows = cursor.fetchall()
            ids = [row[0] for row in rows]
            cursor.execute(list_tags_sql, [ids])
            cursor.fetchall()
            cursor.execute(list_messages_sql, [ids])
            cursor.fetchall()
        return len(rows)

    return tree, list_page


# --- measuring ------------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Case:
    name: str
    run: Callable[[], Any]
    samples: list[float] = field(default_factory=list)

    def timed(self) -> None:
        started = time.perf_counter()
        self.run()
        self.samples.append(time.perf_counter() - started)

    def p(self, fraction: float) -> float:
        return percentile(self.samples, fraction) * 1000


def count_queries(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def profile(label: str, call: Callable[[], Any], rounds: int = 20) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)
    print(f"\n--- profile: {label}, {rounds} calls (cProfile slows small calls most) ---")
    print(out.getvalue())


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = configure_django(args.db_name)
    from rest_framework.test import APIClient

    from endpoints.tree.selectors import project_tree

    rng = random.Random(args.seed)
    with seeded_database(server, args, rng) as data:
        project_id = data.project.pk
        client = APIClient()
        client.force_authenticate(data.user)
        tree_url = f"/api/v1/projects/{project_id}/tree/"
        list_url = f"/api/v1/projects/{project_id}/endpoints/?page_size={PAGE_SIZE}"
        bare_tree, bare_list = bare_sql()

        def api_get(url: str) -> Callable[[], Any]:
            def call() -> Any:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"GET {url} answered {response.status_code}")
                return response

            return call

        tree_call, list_call = api_get(tree_url), api_get(list_url)

        check_same_rows(tree_call, list_call, bare_tree, bare_list, project_id, data.endpoints)

        queries = {
            "tree view": count_queries(tree_call),
            "tree build": count_queries(lambda: project_tree(project=data.project)),
            "list view": count_queries(list_call),
        }

        cases = [
            Case("tree: GET .../tree/", tree_call),
            Case("tree: bare SQL", lambda: bare_tree(project_id)),
            Case(f"list: GET .../endpoints/?page_size={PAGE_SIZE}", list_call),
            Case("list: bare SQL", lambda: bare_list(project_id)),
        ]
        for _ in range(args.warmup):
            for case in cases:
                case.run()
        # Interleave in a fresh random order each round, so that a noisy neighbour slows all
        # four cases alike instead of one of them.
        load_before = os.getloadavg()[0]
        for _ in range(args.iterations):
            for case in rng.sample(cases, len(cases)):
                case.timed()
        load = (load_before, os.getloadavg()[0])

        ok = report(cases, queries, args, load)
        if args.profile:
            profile("GET tree", tree_call)
            profile(f"GET list page_size={PAGE_SIZE}", list_call)
        return 0 if ok else 1


def check_same_rows(
    tree_call: Callable[[], Any],
    list_call: Callable[[], Any],
    bare_tree: Callable[[int], int],
    bare_list: Callable[[int], int],
    project_id: int,
    expected: int,
) -> None:
    """The API and the bare SQL must be looking at the same rows.

    A function of its own so that the parsed bodies are garbage before the timing starts: kept
    alive, they would make every full garbage collection in the timed calls slower.
    """
    tree_endpoints = _count_tree_endpoints(tree_call().json())
    if tree_endpoints != expected or bare_tree(project_id) != expected:
        raise SystemExit(f"tree holds {tree_endpoints} endpoints, expected {expected}")
    list_body = list_call().json()
    if len(list_body["results"]) != bare_list(project_id) or list_body["count"] != expected:
        raise SystemExit("list page and its bare SQL fetched different numbers of rows")
    # A list item is exactly what the endpoint's own GET shows (the list builds it from plain
    # values, the detail from model instances).
    from rest_framework.renderers import JSONRenderer

    from endpoints.models import Endpoint
    from endpoints.tree.selectors import endpoints_with_relations
    from endpoints.tree.serializers import endpoint_data

    page = endpoints_with_relations(Endpoint.objects.filter(project_id=project_id)).order_by(
        "folder_id", "position", "id"
    )[: len(list_body["results"])]
    detail = json.loads(JSONRenderer().render([endpoint_data(e) for e in page]))
    if detail != list_body["results"]:
        raise SystemExit("list page items differ from endpoint_data of the same endpoints")


def _count_tree_endpoints(node: dict[str, Any]) -> int:
    return len(node["endpoints"]) + sum(_count_tree_endpoints(f) for f in node["folders"])


def report(
    cases: list[Case],
    queries: dict[str, int],
    args: argparse.Namespace,
    load: tuple[float, float],
) -> bool:
    tree_api, tree_sql, list_api, list_sql = cases
    checks: list[tuple[str, float, float]] = []
    print(
        f"\n{args.iterations} interleaved rounds after {args.warmup} warm-up; "
        "server time = the Django handler in-process (APIClient, force_authenticate)"
    )
    # Other work on the machine stretches the Python-heavy API calls more than the bare SQL
    # (much of which runs in the PostgreSQL server process), so say how busy it was.
    print(
        f"load average {load[0]:.2f} -> {load[1]:.2f} on {os.cpu_count()} CPUs"
        + ("  (busy machine: ratios are inflated)" if max(load) > (os.cpu_count() or 1) else "")
        + "\n"
    )
    header = f"{'case':<44} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    rows = [
        (tree_api, f"{queries['tree view']} ({queries['tree build']}+1)"),
        (tree_sql, "3"),
        (list_api, str(queries["list view"])),
        (list_sql, "4"),
    ]
    for case, count in rows:
        print(f"{case.name:<44} {case.p(0.5):>8.2f} {case.p(0.95):>8.2f} {count:>8}")
    print()
    for label, api, sql, limit in (
        ("tree", tree_api, tree_sql, TREE_MAX_RATIO),
        ("list page", list_api, list_sql, LIST_MAX_RATIO),
    ):
        p50 = api.p(0.5) / sql.p(0.5)
        p95 = api.p(0.95) / sql.p(0.95)
        verdict = "ok" if p50 <= limit else "MISSED"
        print(
            f"{label + ' / bare SQL':<22} p50 {p50:5.2f}x   p95 {p95:5.2f}x   "
            f"target p50 <= {limit:g}x: {verdict}"
        )
        checks.append((label, p50, limit))
    build = queries["tree build"]
    print(
        f"{'tree queries':<22} {build} to build the tree (+1 membership lookup = "
        f"{queries['tree view']} per call)   target <= {TREE_MAX_QUERIES}: "
        f"{'ok' if build <= TREE_MAX_QUERIES else 'MISSED'}"
    )
    missed = [label for label, ratio, limit in checks if ratio > limit]
    if build > TREE_MAX_QUERIES:
        missed.append("tree queries")
    print("\nresult: " + ("all targets met" if not missed else "MISSED: " + ", ".join(missed)))
    return not missed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
