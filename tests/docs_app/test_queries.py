"""Every docs page reads a fixed number of queries, whatever the size of the project."""

from __future__ import annotations

from typing import Any

import pytest

from docs_app.models import RenderedDescription
from endpoints.models import Endpoint
from tests.docs_app.conftest import document_endpoint, ticker_contract_messages
from tests.factories import grow_tree

# link lookup + scope (2) + values (2) + folders + endpoints (with stored renderings) + tags + view
INDEX_QUERIES = 9
# link lookup + scope (2) + values (2) + folders + navigation + endpoint + its tags + messages
# + the project's schemas + view
ENDPOINT_QUERIES = 12
# the index's, plus the outline of every shown message, the messages shown in full and the
# project's schemas
LLMS_QUERIES = INDEX_QUERIES + 3
# storing new renderings: one INSERT ... ON CONFLICT, inside a savepoint (two statements)
STORE_RENDERINGS = 3


def grow(docs: Any, folders: int, per_folder: int) -> None:
    grow_tree(
        docs.team,
        folders,
        per_folder,
        actor=docs.team.admin,
        url=lambda f, i: "{{baseUrl}}/s/" + str(i),
        description=lambda f, i: f"## Stream {i}\n\nTicks for **area {f}**.",
        headers=[{"name": "X-Key", "value": "{{apiKey}}"}],
    )
    # Every grown endpoint documents the ticker's messages (schemas with a project schema).
    for endpoint in Endpoint.objects.filter(project=docs.team.project, name__startswith="Stream"):
        document_endpoint(endpoint, ticker_contract_messages())


@pytest.mark.parametrize("size", [(1, 2), (6, 10)])
@pytest.mark.parametrize("scoped", [False, True])
def test_page_query_counts_do_not_grow(
    docs, ticker_contract, browser, django_assert_max_num_queries, size, scoped
):
    grow(docs, *size)
    options: dict[str, Any] = {"environment_id": docs.environment.pk, "show_assignee": True}
    if scoped:
        options.update(
            whole_project=False,
            folder_ids=[docs.folders["market"].pk, *docs.team.project.folders.filter(
                name__startswith="Area", parent__isnull=True
            ).values_list("pk", flat=True)],
            endpoint_ids=[docs.endpoints["place"].pk],
        )  # fmt: skip
    _, token = docs.link(**options)
    base = f"/share/{token}/"
    ticker = docs.endpoints["ticker"].pk
    shown = 5 + size[0] * size[1] if not scoped else 3 + size[0] * size[1]

    # cold: every description is rendered and stored in one statement
    assert RenderedDescription.objects.count() == 0
    with django_assert_max_num_queries(INDEX_QUERIES + STORE_RENDERINGS):
        html = browser.get(base).content.decode()
    assert html.count('class="card"') == shown
    assert RenderedDescription.objects.count() == shown
    # warm
    for url, limit in (
        (base, INDEX_QUERIES),
        (f"{base}?q=stream", INDEX_QUERIES),
        (f"{base}index.md", INDEX_QUERIES),
        (f"{base}llms.txt", LLMS_QUERIES),
        (f"{base}endpoints/{ticker}/", ENDPOINT_QUERIES),
        (f"{base}endpoints/{ticker}.md", ENDPOINT_QUERIES),
    ):
        with django_assert_max_num_queries(limit):
            assert browser.get(url).status_code == 200, url


@pytest.mark.parametrize("size", [(1, 2), (5, 8)])
def test_preview_query_counts_do_not_grow(
    docs, ticker_contract, client, django_assert_max_num_queries, size
):
    grow(docs, *size)
    client.force_login(docs.team.editor)
    base = f"/projects/{docs.team.project.pk}/docs/"
    client.get(base)  # stores the renderings
    # session + user + membership + values (2) + folders + endpoints + tags
    with django_assert_max_num_queries(8):
        assert client.get(base).status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get(f"{base}endpoints/{docs.endpoints['ticker'].pk}/").status_code == 200
