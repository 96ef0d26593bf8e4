"""Shared-docs benchmark (issue 5): the index and an endpoint page of a 1,000-endpoint project,
served through a share link, against the bare SQL that fetches the same rows.

On a PostgreSQL database of its own (set up like the workspace benchmark, whose helpers it
reuses) it seeds 1,000 endpoints in 50 folders with tags, assignees, handshake rows, saved
messages and Markdown descriptions, an environment with plain and secret variables, and one
share link for the whole project with that environment. Then it times, interleaved:

- ``GET /share/<token>/`` and ``GET /share/<token>/endpoints/<id>/``: server time, i.e. the whole
  Django handler in-process (middleware, link lookup, selectors, templates, ETag, view count),
  through Django's test client — no socket, no Daphne;
- the bare SQL that fetches the same rows (hand-written SQL, ``cursor.fetchall()``).

Target: each page's p50 ≤ 5x the p50 of its bare SQL; exits 1 when missed. It also reports
what the index costs when every stored description rendering is stale (rendered and
sanitized on the request), which is what storing them avoids.

    python -m tests.bench docs [--endpoints N] [--iterations N] [--profile] [--keep-db] ...
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from tests.bench.bench_workspace import (
    Case,
    add_database_args,
    add_size_args,
    configure_django,
    count_queries,
    percentile,
    profile,
    seeded_database,
)

DEFAULT_DB_NAME = "bench_switchboard_docs"
MAX_RATIO = 5.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench docs",
        description="Docs pages' server time against the bare SQL of the same rows.",
    )
    add_size_args(parser, endpoints=1000, folders=50, iterations=60, warmup=8)
    parser.add_argument("--cold", type=int, default=5, help="rounds with stale renderings")
    parser.add_argument(
        "--messages", type=int, default=20, help="documented messages per endpoint (issue 14)"
    )
    add_database_args(
        parser,
        db_name=os.environ.get("BENCH_DOCS_DATABASE_NAME", DEFAULT_DB_NAME),
        seed=5,
    )
    return parser.parse_args(argv)


def add_variables_and_link(project: Any, owner: Any) -> tuple[Any, str]:
    """An environment the link shows (one secret among its values) and the link itself."""
    from docs_app.services import share_link_create
    from endpoints.models import Endpoint, Environment, Variable

    environment = Environment.objects.create(
        project=project, name="Production", base_url="wss://stream.example.test", updated_by=owner
    )
    Variable.objects.bulk_create(
        [
            Variable(project=project, name="region", initial_value="eu-west"),
            Variable(project=project, environment=environment, name="param_0", initial_value="7"),
            Variable(
                project=project,
                environment=environment,
                name="header_0",
                initial_value="not-for-readers",
                secret=True,
            ),
        ]
    )
    # A tenth of the URLs use the environment's base URL, as real projects do.
    ids = list(Endpoint.objects.filter(project=project).values_list("pk", flat=True)[::10])
    Endpoint.objects.filter(pk__in=ids).update(url="{{baseUrl}}/v2/{{region}}/stream")
    return share_link_create(
        project=project,
        actor=owner,
        name="Bench",
        environment_id=environment.pk,
        show_assignee=True,
    )


FILL = {
    "type": "object",
    "required": ["px", "qty"],
    "properties": {
        "px": {"type": "number", "exclusiveMinimum": 0, "description": "Price"},
        "qty": {"type": "number", "minimum": 0, "description": "Quantity"},
        "venue": {"type": "string", "maxLength": 16},
    },
}


def message_schema(n: int) -> dict[str, Any]:
    """About ten properties: a const, strings with limits, an enum, a nested object, an array of
    a project schema, a union, a date-time."""
    return {
        "type": "object",
        "required": ["type", "symbol", "seq"],
        "additionalProperties": False,
        "properties": {
            "type": {"const": f"kind{n}", "description": "What this frame is"},
            "symbol": {"type": "string", "pattern": "^[A-Z]{3,6}$", "maxLength": 6},
            "seq": {"type": "integer", "minimum": 0, "description": "Sequence number"},
            "side": {"enum": ["buy", "sell"], "default": "buy"},
            "price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
            "maker": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "tier": {"type": ["string", "null"], "enum": ["gold", "std", None]},
                },
            },
            "fills": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {"$ref": "#/components/schemas/Fill"},
            },
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "note": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
            "at": {"type": "string", "format": "date-time"},
        },
    }


def add_documented_messages(project: Any, per_endpoint: int) -> int:
    """``per_endpoint`` documented messages on every endpoint instead of its saved ones: half
    sent, half received (every other one a reply), each with a schema and two examples."""
    from endpoints.models import Endpoint, Message, ProjectSchema

    if per_endpoint <= 0:
        return 0
    ProjectSchema.objects.create(project=project, name="Fill", schema=FILL, description="A fill.")
    Message.objects.filter(endpoint__project=project).delete()
    example = (
        '{{"type":"kind{n}","symbol":"BTC","seq":{seq},"side":"buy","price":101.25,'
        '"maker":{{"id":7,"tier":"gold"}},"fills":[{{"px":101.25,"qty":2}}],'
        '"tags":["a"],"note":null,"at":"2026-12-02T17:00:00Z"}}'
    )
    schemas = [message_schema(n) for n in range(per_endpoint)]
    ids = list(Endpoint.objects.filter(project=project).values_list("pk", flat=True))
    rows = []
    for pk in ids:
        for n in range(per_endpoint):
            send = n % 2 == 0
            rows.append(
                Message(
                    endpoint_id=pk,
                    position=n,
                    name=f"message-{n}",
                    direction="send" if send else "receive",
                    format="json",
                    description=f"Message **{n}**: what it carries and when it is sent.",
                    schema=schemas[n],
                    examples=[
                        {"name": "First", "body": example.format(n=n, seq=1)},
                        {"name": "Second", "body": example.format(n=n, seq=2)},
                    ],
                    reply_to=f"message-{n - 1}" if not send and n % 4 == 1 else "",
                    match={"kind": "path", "path": "$.type", "value": f"kind{n}"},
                )
            )
    Message.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def bare_sql(link_id: int) -> tuple[Callable[[str, int], int], Callable[[str, int, int], int]]:
    """Functions that fetch, with plain SQL, the rows each page is built from.

    Each returns the number of endpoint rows it fetched, to check it saw what the page shows.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection

    from docs_app.models import RenderedDescription, ShareLink
    from endpoints.models import (
        Endpoint,
        Environment,
        Folder,
        Message,
        Project,
        ProjectSchema,
        Tag,
        Variable,
    )

    user = get_user_model()._meta.db_table
    link = ShareLink._meta.db_table
    project = Project._meta.db_table
    endpoint = Endpoint._meta.db_table
    folder = Folder._meta.db_table
    tag = Tag._meta.db_table
    tag_link = Endpoint.tags.through._meta.db_table
    message = Message._meta.db_table
    rendering = RenderedDescription._meta.db_table
    environment = Environment._meta.db_table
    variable = Variable._meta.db_table
    project_schema = ProjectSchema._meta.db_table

    link_sql = (
        f"SELECT l.*, p.* FROM {link} l JOIN {project} p ON p.id = l.project_id "
        "WHERE l.token_digest = %s"
    )
    values_sql = (
        f"SELECT base_url FROM {environment} WHERE id = %s",
        f"SELECT name, environment_id, initial_value, secret FROM {variable} "
        "WHERE project_id = %s AND (environment_id IS NULL OR environment_id = %s)",
    )
    folders_sql = (
        f"SELECT id, parent_id, name, updated_at FROM {folder} WHERE project_id = %s "
        "ORDER BY position, id"
    )
    index_sql = (
        "SELECT e.id, e.folder_id, e.name, e.url, e.status, e.updated_at, e.description, "
        f"r.source_digest, r.summary FROM {endpoint} e "
        f"LEFT JOIN {rendering} r ON r.endpoint_id = e.id WHERE e.project_id = %s "
        "ORDER BY e.position, e.id"
    )
    tags_sql = (
        f"SELECT l.endpoint_id, t.name FROM {tag_link} l JOIN {tag} t ON t.id = l.tag_id "
        f"JOIN {endpoint} e ON e.id = l.endpoint_id WHERE e.project_id = %s "
        "ORDER BY lower(t.name), t.id"
    )
    nav_sql = (
        f"SELECT id, folder_id, name, url, status, updated_at FROM {endpoint} "
        "WHERE project_id = %s ORDER BY position, id"
    )
    endpoint_sql = (
        f"SELECT e.*, a.first_name, a.last_name, a.username, r.* FROM {endpoint} e "
        f"LEFT JOIN {user} a ON a.id = e.assignee_id "
        f"LEFT JOIN {rendering} r ON r.endpoint_id = e.id WHERE e.project_id = %s AND e.id = %s"
    )
    endpoint_tags_sql = (
        f"SELECT t.* FROM {tag} t JOIN {tag_link} l ON l.tag_id = t.id "
        "WHERE l.endpoint_id = %s ORDER BY lower(t.name), t.id"
    )
    messages_sql = f"SELECT * FROM {message} WHERE endpoint_id = %s ORDER BY position, id"
    schemas_sql = (
        f"SELECT name, description, schema FROM {project_schema} WHERE project_id = %s "
        "ORDER BY name, id"
    )

    def common(cursor: Any, digest: str) -> tuple[int, int]:
        cursor.execute(link_sql, [digest])
        row = cursor.fetchone()
        columns = [column.name for column in cursor.description]
        project_id = row[columns.index("project_id")]
        environment_id = row[columns.index("environment_id")]
        cursor.execute(values_sql[0], [environment_id])
        cursor.fetchall()
        cursor.execute(values_sql[1], [project_id, environment_id])
        cursor.fetchall()
        cursor.execute(folders_sql, [project_id])
        cursor.fetchall()
        return project_id, environment_id

    def index(digest: str, project_id: int) -> int:
        with connection.cursor() as cursor:
            common(cursor, digest)
            cursor.execute(index_sql, [project_id])
            rows = cursor.fetchall()
            cursor.execute(tags_sql, [project_id])
            cursor.fetchall()
        return len(rows)

    def page(digest: str, project_id: int, endpoint_id: int) -> int:
        with connection.cursor() as cursor:
            common(cursor, digest)
            cursor.execute(nav_sql, [project_id])
            rows = cursor.fetchall()
            cursor.execute(endpoint_sql, [project_id, endpoint_id])
            cursor.fetchall()
            cursor.execute(endpoint_tags_sql, [endpoint_id])
            cursor.fetchall()
            cursor.execute(messages_sql, [endpoint_id])
            cursor.fetchall()
            cursor.execute(schemas_sql, [project_id])
            cursor.fetchall()
        return len(rows)

    del link_id
    return index, page


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = configure_django(args.db_name)
    from django.db import connection
    from django.test import Client

    from docs_app.models import RenderedDescription
    from docs_app.tokens import token_digest
    from endpoints.models import Endpoint

    rng = random.Random(args.seed)
    with seeded_database(server, args, rng) as data:
        link, token = add_variables_and_link(data.project, data.user)
        documented = add_documented_messages(data.project, args.messages)
        if documented:
            print(f"documented {documented} messages ({args.messages} per endpoint)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")

        client = Client()
        project_id = data.project.pk
        middle = (
            Endpoint.objects.filter(project=data.project)
            .order_by("position", "id")
            .values_list("pk", flat=True)[data.endpoints // 2]
        )
        index_url = f"/share/{token}/"
        page_url = f"/share/{token}/endpoints/{middle}/"
        digest = token_digest(token)
        bare_index, bare_page = bare_sql(link.pk)

        def get(url: str) -> Callable[[], Any]:
            def call() -> Any:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"GET {url} answered {response.status_code}")
                return response

            return call

        index_call, page_call = get(index_url), get(page_url)

        # Cold: every stored rendering stale, so each description is rendered on the request.
        cold: list[float] = []
        for _ in range(args.cold):
            RenderedDescription.objects.all().delete()
            began = time.perf_counter()
            index_call()
            cold.append(time.perf_counter() - began)

        # The page and the bare SQL must be looking at the same rows.
        html = index_call().content.decode()
        cards = html.count('class="card"')
        if cards != data.endpoints or bare_index(digest, project_id) != data.endpoints:
            raise SystemExit(f"the index shows {cards} endpoints, expected {data.endpoints}")
        if bare_page(digest, project_id, middle) != data.endpoints:
            raise SystemExit("the endpoint page's bare SQL fetched a different navigation")
        page_html = page_call().content.decode()
        if "not-for-readers" in html or "not-for-readers" in page_html:
            raise SystemExit("a secret value reached a page")
        if args.messages and page_html.count('<article class="message') != args.messages:
            raise SystemExit("the endpoint page does not show every documented message")

        queries = {
            "index": count_queries(index_call),
            "page": count_queries(page_call),
            "index SQL": count_queries(lambda: bare_index(digest, project_id)),
            "page SQL": count_queries(lambda: bare_page(digest, project_id, middle)),
        }
        cases = [
            Case("index: GET /share/<token>/", index_call),
            Case("index: bare SQL", lambda: bare_index(digest, project_id)),
            Case("endpoint: GET /share/<token>/endpoints/<id>/", page_call),
            Case("endpoint: bare SQL", lambda: bare_page(digest, project_id, middle)),
        ]
        for _ in range(args.warmup):
            for case in cases:
                case.run()
        for _ in range(args.iterations):
            for case in rng.sample(cases, len(cases)):
                case.timed()

        ok = report(cases, queries, cold, len(html), args)
        # No target: llms.txt has the first 200 messages in full, an outline of the others.
        llms_call = get(f"/share/{token}/llms.txt")
        llms_times = []
        for _ in range(3):
            began = time.perf_counter()
            size = len(llms_call().content)
            llms_times.append(time.perf_counter() - began)
        print(
            f"llms.txt, {data.endpoints} endpoints x {args.messages} messages: "
            f"{sorted(llms_times)[1] * 1000:.0f} ms (median of 3), {size / 1024 / 1024:.1f} MiB, "
            f"{count_queries(llms_call)} queries"
        )
        if args.profile:
            profile("GET index", index_call)
            profile("GET endpoint page", page_call)
        return 0 if ok else 1


def report(
    cases: list[Case],
    queries: dict[str, int],
    cold: list[float],
    index_bytes: int,
    args: argparse.Namespace,
) -> bool:
    index_page, index_sql, endpoint_page, endpoint_sql = cases
    print(
        f"\n{args.iterations} interleaved rounds after {args.warmup} warm-up; server time = the "
        "Django handler in-process (test client, no socket)\n"
    )
    header = f"{'case':<48} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for case, count in (
        (index_page, str(queries["index"])),
        (index_sql, str(queries["index SQL"])),
        (endpoint_page, str(queries["page"])),
        (endpoint_sql, str(queries["page SQL"])),
    ):
        print(f"{case.name:<48} {case.p(0.5):>8.2f} {case.p(0.95):>8.2f} {count:>8}")
    if cold:
        print(
            f"{'index, every description rendered on the request':<48} "
            f"{percentile(cold, 0.5) * 1000:>8.2f} {max(cold) * 1000:>8.2f}   (max of {len(cold)})"
        )
    print(f"\nindex page size: {index_bytes / 1024:.0f} KiB\n")
    missed = []
    for label, page, sql in (
        ("index", index_page, index_sql),
        ("endpoint page", endpoint_page, endpoint_sql),
    ):
        ratio = page.p(0.5) / sql.p(0.5)
        verdict = "ok" if ratio <= MAX_RATIO else "MISSED"
        print(
            f"{label + ' / bare SQL':<26} p50 {ratio:5.2f}x   p95 {page.p(0.95) / sql.p(0.95):5.2f}x"
            f"   target p50 <= {MAX_RATIO:g}x: {verdict}"
        )
        if ratio > MAX_RATIO:
            missed.append(label)
    print("\nresult: " + ("all targets met" if not missed else "MISSED: " + ", ".join(missed)))
    return not missed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
