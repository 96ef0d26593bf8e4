"""Personal access tokens, sign-up switch, provisioning commands."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessToken
from accounts.tokens import token_digest
from tests.conftest import assert_error

TOKENS = "/api/v1/auth/tokens/"


def test_token_exchange_use_list_and_revoke(make_user):
    make_user("sam", password="s3cret-pass")
    anon = APIClient()
    created = anon.post(
        TOKENS, {"username": "sam", "password": "s3cret-pass", "name": "laptop"}, format="json"
    )
    assert created.status_code == 201, created.json()
    secret = created.json()["token"]
    stored = AccessToken.objects.get()
    assert stored.digest == token_digest(secret) and secret not in stored.digest
    assert secret.startswith(stored.prefix)

    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert script.get("/api/v1/auth/me/").json()["username"] == "sam"
    listed = script.get(TOKENS).json()
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    assert script.delete(f"{TOKENS}{stored.pk}/").status_code == 204
    assert_error(script.get("/api/v1/projects/"), 401, "authentication_failed")


def test_wrong_password_and_unknown_user_look_the_same(make_user):
    make_user("sam", password="s3cret-pass")
    anon = APIClient()
    wrong = anon.post(TOKENS, {"username": "sam", "password": "nope", "name": "x"}, format="json")
    missing = anon.post(TOKENS, {"username": "zed", "password": "nope", "name": "x"}, format="json")
    assert assert_error(wrong, 401) == assert_error(missing, 401)
    assert not AccessToken.objects.exists()


def test_expired_token_is_refused(make_user):
    user = make_user("sam", password="s3cret-pass")
    anon = APIClient()
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    secret = anon.post(
        TOKENS,
        {"username": "sam", "password": "s3cret-pass", "name": "old", "expires_at": past},
        format="json",
    ).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert_error(client.get("/api/v1/projects/"), 401, "authentication_failed")
    user.is_active = False
    user.save()


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer sb_not-a-real-token", "Bearer " + "x" * 500, "Bearer sb_\u00e9"],
)
def test_malformed_bearer_headers_get_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get("/api/v1/projects/"), 401)


def test_anonymous_gets_401_in_the_error_shape(db):
    assert_error(APIClient().get("/api/v1/projects/"), 401, "not_authenticated")


def test_signup_is_off_by_default_and_works_when_on(db):
    body = {"username": "newbie", "password": "long-enough-pw"}
    assert_error(APIClient().post("/api/v1/auth/signup/", body, format="json"), 404)
    with override_settings(SIGNUP_ENABLED=True):
        assert APIClient().post("/api/v1/auth/signup/", body, format="json").status_code == 201
        again = APIClient().post("/api/v1/auth/signup/", body, format="json")
        assert "username" in assert_error(again, 400, "validation_error")["fields"]


def test_provision_user_prints_only_a_working_token(db):
    out = io.StringIO()
    call_command("provision_user", "ci-bot", "--token-name", "ci", stdout=out)
    secret = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/auth/me/").json()["username"] == "ci-bot"


def test_ensure_admin_creates_one_admin_with_a_random_password_once(db):
    first, second = io.StringIO(), io.StringIO()
    call_command("ensure_admin", stdout=first)
    call_command("ensure_admin", stdout=second)
    assert "password:" in first.getvalue() and second.getvalue() == ""
    password = first.getvalue().split("password:")[1].split()[0]
    assert len(password) >= 16
    response = APIClient().post(
        TOKENS, {"username": "admin", "password": password, "name": "x"}, format="json"
    )
    assert response.status_code == 201


def test_browser_login_session_with_csrf(make_user):
    from django.test import Client

    make_user("sam", password="s3cret-pass")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/")
    assert page.status_code == 200 and b'name="password"' in page.content
    csrf = browser.cookies["csrftoken"].value
    logged_in = browser.post(
        "/accounts/login/",
        {"username": "sam", "password": "s3cret-pass", "csrfmiddlewaretoken": csrf},
    )
    assert logged_in.status_code == 302
    assert browser.get("/api/v1/auth/me/").json()["username"] == "sam"
    body = '{"name": "From the browser"}'
    refused = browser.post("/api/v1/projects/", body, content_type="application/json")
    assert_error(refused, 403, "permission_denied")
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/projects/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201
