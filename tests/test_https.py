"""HTTPS settings (docs/deployment.md "HTTPS behind a TLS-terminating proxy"): the documented
production environment passes `check --deploy`, absolute URLs follow SWITCHBOARD_PUBLIC_URL,
and X-Forwarded-Proto is believed only when trusting is on. The real TLS proxy in front of
Daphne is tests/test_tls_proxy.py."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from config.forwarded_proto import connection_scheme
from config.settings import public_url
from docs_app.services import share_link_create

ROOT = Path(__file__).resolve().parents[1]


def documented_production_env() -> dict[str, str]:
    """The environment block of docs/deployment.md "The production environment"."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    section = text.split("### The production environment", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "docs/deployment.md has no production environment block"
    env = {}
    for line in block.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    return env


def check_deploy(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV"}
    }
    base.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SWITCHBOARD_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=base,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_documented_production_environment_passes_check_deploy(tmp_path):
    env = documented_production_env()
    assert env["DEBUG"] == "0" and env["SWITCHBOARD_PUBLIC_URL"].startswith("https://")
    assert env["TRUST_X_FORWARDED_PROTO"] == "1"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    result = check_deploy(tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_without_it_check_deploy_names_what_is_missing(tmp_path):
    result = check_deploy(tmp_path, {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50)})
    said = result.stdout + result.stderr
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in said, said


def test_an_https_public_url_makes_cookies_secure_by_itself(tmp_path):
    """An operator who sets only the public URL gets Secure cookies; check --deploy still
    asks for the redirect and HSTS, which are choices."""
    result = check_deploy(
        tmp_path,
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SWITCHBOARD_PUBLIC_URL": "https://sb.example.com",
        },
    )
    said = result.stdout + result.stderr
    assert "security.W012" not in said and "security.W016" not in said, said
    assert "security.W004" in said and "security.W008" in said, said


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("https://SB.Example.com/", "https://sb.example.com"),
        ("https://sb.example.com:8443", "https://sb.example.com:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        (" https://[::1]:8443 ", "https://[::1]:8443"),
    ],
)
def test_public_url_is_an_origin(raw, expected):
    assert public_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "sb.example.com",
        "ftp://sb.example.com",
        "https://",
        "https://sb.example.com/switchboard",
        "https://sb.example.com/?a=1",
        "https://sb.example.com/#top",
        "https://user:pw@sb.example.com",
        "https://sb.example.com:99999",
        "https://sb.example.com:port",
    ],
)
def test_a_public_url_that_is_not_an_origin_refuses_to_start(raw):
    with pytest.raises(ImproperlyConfigured, match="SWITCHBOARD_PUBLIC_URL"):
        public_url(raw)


def test_the_server_refuses_to_start_with_a_bad_public_url(tmp_path):
    result = check_deploy(tmp_path, {"SWITCHBOARD_PUBLIC_URL": "switchboard.example.com"})
    assert result.returncode != 0
    assert "SWITCHBOARD_PUBLIC_URL must look like" in result.stderr, result.stderr


def settings_under(tmp_path: Path, env: dict[str, str]) -> dict[str, object]:
    """The HTTPS settings config.settings derives from ``env``, read in a fresh process."""
    names = [
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_SSL_HOST",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
    ]
    script = (
        "import json; from config import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    base = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    base.update(
        SWITCHBOARD_DATA_DIR=str(tmp_path / "data"), STATIC_ROOT=str(tmp_path / "static"), **env
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=base, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_public_url_is_allowed_and_trusted_and_empty_values_keep_defaults(tmp_path):
    derived = settings_under(
        tmp_path,
        {
            "SWITCHBOARD_PUBLIC_URL": "https://SB.example.com:8443/",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": "https://tools.example.com",
            # As docker-compose.yml passes unset ones: empty means Switchboard's default.
            "SECURE_COOKIES": "",
            "SECURE_SSL_REDIRECT": "",
            "SECURE_HSTS_SECONDS": "",
            "SECURE_HSTS_PRELOAD": "",
        },
    )
    assert derived == {
        "ALLOWED_HOSTS": ["127.0.0.1", "sb.example.com"],
        "CSRF_TRUSTED_ORIGINS": ["https://tools.example.com", "https://sb.example.com:8443"],
        "SECURE_PROXY_SSL_HEADER": None,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_SSL_HOST": "sb.example.com:8443",
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_by_default_nothing_is_trusted_or_secure_only(tmp_path):
    derived = settings_under(tmp_path, {})
    assert derived["SECURE_PROXY_SSL_HEADER"] is None
    assert derived["CSRF_TRUSTED_ORIGINS"] == []
    assert not derived["SESSION_COOKIE_SECURE"] and not derived["SECURE_SSL_REDIRECT"]
    assert derived["SECURE_SSL_HOST"] is None and derived["SECURE_HSTS_SECONDS"] == 0
    trusted = settings_under(tmp_path, {"TRUST_X_FORWARDED_PROTO": "true"})
    assert trusted["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def _scope(kind: str, scheme: str, *proto: bytes) -> dict:
    return {
        "type": kind,
        "scheme": scheme,
        "headers": [(b"host", b"sb.example.com")] + [(b"X-Forwarded-Proto", p) for p in proto],
    }


@pytest.mark.parametrize(
    ("kind", "transport", "proto", "trusted", "expected"),
    [
        # Trusted: the proxy's word, Django's rule (first value, exactly "https").
        ("http", "http", [b"https"], True, "https"),
        ("http", "http", [b"https, http"], True, "https"),
        ("http", "http", [b"http"], True, "http"),
        ("websocket", "ws", [b"https"], True, "wss"),
        ("websocket", "ws", [b"http"], True, "ws"),
        # Malformed: plain, never a scheme of its own (Daphne --proxy-headers copies it as is).
        ("http", "javascript", [b"javascript"], True, "http"),
        ("http", "HTTPS", [b"HTTPS"], True, "http"),
        ("http", "", [b""], True, "http"),
        ("http", "http", [b"\xff\xfe"], True, "http"),
        ("websocket", "https, x", [b"https, x"], True, "wss"),
        # Not trusted: the header is never believed, even after Daphne copied it.
        ("http", "https", [b"https"], False, "http"),
        ("websocket", "https", [b"https"], False, "ws"),
        ("http", "javascript", [b"javascript"], False, "http"),
        # No header: the transport's own scheme, whatever the setting.
        ("http", "http", [], True, "http"),
        ("http", "https", [], False, "https"),
        ("websocket", "wss", [], True, "wss"),
        ("websocket", "ws", [], False, "ws"),
    ],
)
def test_connection_scheme(kind, transport, proto, trusted, expected):
    assert connection_scheme(_scope(kind, transport, *proto), trusted=trusted) == expected


@pytest.fixture
def public_project(team, settings):
    settings.PUBLIC_URL = "https://sb.example.com"
    return team


def test_absolute_urls_start_with_the_public_url(public_project, client_for):
    team = public_project
    api = client_for(team.editor)
    created = api.post(
        f"/api/v1/projects/{team.project.pk}/share-links/", {"name": "Partners"}, format="json"
    )
    assert created.status_code == 201, created.content
    link = created.json()
    assert link["url"] == f"https://sb.example.com/share/{link['token']}/"
    assert link["preview_url"].startswith("https://sb.example.com/projects/")
    endpoints = f"/api/v1/projects/{team.project.pk}/endpoints/"
    for name in ("Ticker", "Orders"):
        saved = api.post(endpoints, {"name": name, "url": "wss://x.test/"}, format="json")
        assert saved.status_code == 201, saved.content
    listed = api.get(f"{endpoints}?page_size=1").json()
    assert listed["next"] == f"https://sb.example.com{endpoints}?page=2&page_size=1"

    llms = Client().get(f"/share/{link['token']}/llms.txt").content.decode()
    assert f"https://sb.example.com/share/{link['token']}/index.md" in llms
    assert "testserver" not in llms


def test_without_a_public_url_urls_follow_the_request(team, client_for, settings):
    settings.PUBLIC_URL = ""
    _, token = share_link_create(project=team.project, actor=team.editor, name="Partners")
    llms = Client().get(f"/share/{token}/llms.txt", HTTP_HOST="localhost").content.decode()
    assert f"http://localhost/share/{token}/index.md" in llms


@pytest.mark.parametrize(
    ("trusted", "proto", "scheme"),
    [
        (True, "https", "https"),
        (True, "javascript", "http"),
        (False, "https", "http"),
    ],
)
def test_forwarded_proto_is_believed_only_when_trusted(
    team, client_for, settings, trusted, proto, scheme
):
    settings.PUBLIC_URL = ""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if trusted else None
    settings.SECURE_HSTS_SECONDS = 3600
    response = client_for(team.editor).post(
        f"/api/v1/projects/{team.project.pk}/share-links/",
        {"name": "Partners"},
        format="json",
        HTTP_X_FORWARDED_PROTO=proto,
        HTTP_HOST="localhost",
    )
    assert response.status_code == 201, response.content
    assert response.json()["url"].startswith(f"{scheme}://localhost/share/")
    assert ("Strict-Transport-Security" in response) == (scheme == "https")
