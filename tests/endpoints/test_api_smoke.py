from tests.conftest import assert_error


def test_create_and_read_endpoint(team, client_for):
    api = client_for(team.editor)
    base = f"/api/v1/projects/{team.project.pk}"
    folder = api.post(f"{base}/folders/", {"name": "Quotes"}, format="json").json()
    created = api.post(
        f"{base}/endpoints/",
        {
            "name": "Ticker",
            "url": "wss://example.test/ticker",
            "folder": folder["id"],
            "headers": [{"name": "X-Key", "value": "k"}],
            "messages": [{"name": "sub", "format": "json", "body": '{"op": "sub"}'}],
            "tags": ["Market", "market", "beta"],
            "assignee": team.viewer.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "developing"
    assert body["tags"] == ["beta", "Market"]
    assert body["headers"] == [{"name": "X-Key", "value": "k", "enabled": True, "description": ""}]
    assert body["settings"]["open_timeout"] == 10.0
    bad = api.post(f"{base}/endpoints/", {"name": "x", "url": "http://x"}, format="json")
    assert "url" in assert_error(bad, 400, "validation_error")["fields"]
