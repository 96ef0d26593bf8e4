"""Lists and the tree read a fixed number of queries, whatever the project size."""

from __future__ import annotations

import pytest

from endpoints.models import Endpoint
from endpoints.tree.selectors import endpoints_with_relations
from endpoints.tree.serializers import EndpointOutSerializer, endpoint_data
from tests.factories import grow_tree


@pytest.mark.parametrize("size", [(1, 2), (6, 8)])
def test_tree_and_list_query_counts_do_not_grow(
    team, client_for, django_assert_max_num_queries, size
):
    grow_tree(team, *size)
    api = client_for(team.viewer)
    base = f"/api/v1/projects/{team.project.pk}"
    # membership lookup + folders + endpoint summaries + endpoint tags
    with django_assert_max_num_queries(4):
        tree = api.get(f"{base}/tree/")
    assert tree.status_code == 200
    assert (
        sum(
            len(f["endpoints"]) + sum(len(c["endpoints"]) for c in f["folders"])
            for f in tree.json()["folders"]
        )
        == size[0] * size[1]
    )
    # membership + count + page (with joins) + tags + messages
    with django_assert_max_num_queries(5):
        listing = api.get(f"{base}/endpoints/?page_size=100&tag=all")
    assert listing.json()["count"] == size[0] * size[1]
    with django_assert_max_num_queries(4):
        assert api.get(f"{base}/folders/").status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get(f"{base}/tags/").status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get(f"{base}/members/").status_code == 200
    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/projects/").status_code == 200


def test_fast_representation_matches_the_documented_schema(team):
    grow_tree(team, 1, 3)
    for endpoint in endpoints_with_relations(Endpoint.objects.all()):
        documented = dict(EndpointOutSerializer(endpoint).data)
        fast = endpoint_data(endpoint)
        assert set(documented) == set(fast)
        for key in ("created_at", "updated_at"):
            documented.pop(key), fast.pop(key)
        documented["settings"] = dict(documented["settings"])
        assert fast == documented
