"""AsyncAPI benchmark (issue 17): export a large project, import the document into an empty
project (dry run, then for real), export the copy, and check the two documents are the same.

On a PostgreSQL database of its own (seeded like the docs benchmark: endpoints in folders with
tags, assignees, handshake rows, documented messages with schemas, examples and replies, an
environment with a secret) it times, through Django's test client in-process:

- ``GET /api/v1/projects/<id>/asyncapi.yaml`` (median of ``--iterations``) and its queries;
- ``POST …/asyncapi/import/`` with ``dry_run`` and without, into an empty project;
- the export of the copy, which must equal the first (exit 1 otherwise), and the official
  parser's verdict on the document (``tests/node``; skipped with a note when Node is missing).

    python -m tests.bench asyncapi [--endpoints N] [--messages N] [--iterations N] [--keep-db]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time

import yaml

from tests.bench.bench_docs import add_documented_messages, add_variables_and_link
from tests.bench.bench_workspace import (
    add_database_args,
    add_size_args,
    configure_django,
    count_queries,
    seeded_database,
)

DEFAULT_DB_NAME = "bench_switchboard_asyncapi"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench asyncapi",
        description="AsyncAPI export and import of a large project, and its round trip.",
    )
    add_size_args(parser, endpoints=300, folders=20, iterations=5, warmup=1)
    parser.add_argument("--messages", type=int, default=6, help="documented messages per endpoint")
    add_database_args(
        parser, db_name=os.environ.get("BENCH_ASYNCAPI_DATABASE_NAME", DEFAULT_DB_NAME), seed=17
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = configure_django(args.db_name)
    from django.conf import settings
    from django.test import Client

    from endpoints.models import Endpoint, Membership, Message
    from endpoints.projects.services import project_create

    # A large project's document is larger than the default upload limit.
    settings.ASYNCAPI_MAX_DOCUMENT_BYTES = settings.API_MAX_BODY_BYTES
    rng = random.Random(args.seed)
    with seeded_database(server, args, rng) as data:
        add_variables_and_link(data.project, data.user)
        add_documented_messages(data.project, args.messages)
        client = Client()
        client.force_login(data.user)
        url = f"/api/v1/projects/{data.project.pk}/asyncapi.yaml"

        def export(project_id: int) -> str:
            response = client.get(f"/api/v1/projects/{project_id}/asyncapi.yaml")
            if response.status_code != 200:
                raise SystemExit(f"export answered {response.status_code}")
            return response.content.decode()

        for _ in range(args.warmup):
            export(data.project.pk)
        times = []
        for _ in range(args.iterations):
            began = time.perf_counter()
            text = export(data.project.pk)
            times.append(time.perf_counter() - began)
        queries = count_queries(lambda: client.get(url))
        print(
            f"export: {data.endpoints} endpoints, {args.messages} messages each, "
            f"{len(text.encode()) / 1024:.0f} KiB of YAML in {statistics.median(times) * 1000:.0f} ms "
            f"(median of {args.iterations}), {queries} queries"
        )

        copy = project_create(
            actor=data.user, name=data.project.name, description=data.project.description
        )
        # The same team, so that responsible people are found again.
        Membership.objects.bulk_create(
            Membership(project=copy, user_id=user_id, role=role)
            for user_id, role in Membership.objects.filter(project=data.project)
            .exclude(user=data.user)
            .values_list("user_id", "role")
        )
        target = f"/api/v1/projects/{copy.pk}/asyncapi/import/"
        for dry_run in (True, False):
            began = time.perf_counter()
            response = client.post(
                target, {"document": text, "dry_run": dry_run}, content_type="application/json"
            )
            took = time.perf_counter() - began
            if response.status_code != 200:
                raise SystemExit(
                    f"import answered {response.status_code}: {response.content[:500]!r}"
                )
            report = response.json()
            print(
                f"import{' (dry run)' if dry_run else ''}: {len(report['items'])} items, "
                f"{len(report['unsupported'])} not imported, in {took:.1f} s"
            )
        made = Endpoint.objects.filter(project=copy).count()
        messages = Message.objects.filter(endpoint__project=copy).count()
        print(f"the copy holds {made} endpoints and {messages} messages")
        same = yaml.safe_load(export(copy.pk)) == yaml.safe_load(text)
        print(f"round trip: {'the same document' if same else 'DIFFERENT documents'}")
        verdict = _official(text)
        print(f"official parser: {verdict}")
        return 0 if same and verdict in ("valid", "not run (no Node)") else 1


def _official(text: str) -> str:
    if shutil.which("node") is None:
        return "not run (no Node)"
    from tests.asyncapi_parser import official_diagnostics

    result = official_diagnostics(text)
    errors = [item for item in result["diagnostics"] if item["severity"] == 0]
    return "valid" if result["valid"] and not errors else f"{len(errors)} errors"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
