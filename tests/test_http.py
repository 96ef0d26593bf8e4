"""HTTP behaviour shared by every API path: redirects, body limits."""

from django.test import override_settings

from tests.conftest import assert_error


def test_api_paths_without_trailing_slash_redirect_keeping_the_method(client, db):
    response = client.post("/api/v1/projects?x=1", {}, content_type="application/json")
    assert response.status_code == 308 and response["Location"] == "/api/v1/projects/?x=1"
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@override_settings(API_MAX_BODY_BYTES=1000)
def test_oversized_json_bodies_are_refused_before_parsing(team, client_for):
    api = client_for(team.editor)
    body = {"name": "x" * 2000}
    response = api.post("/api/v1/projects/", body, format="json")
    assert_error(response, 413, "request_too_large")
    assert api.get("/api/v1/projects/").json()[0]["name"] == "Trading API"
