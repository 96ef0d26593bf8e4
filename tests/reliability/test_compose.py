"""docker-compose.yml cannot be run here (no Docker), so its wiring is checked by reading it: the
services of the scaled deployment, what each runs, and the environment that connects them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "relay")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command(service: dict[str, Any]) -> list[str]:
    raw = service["command"]
    return shlex.split(raw) if isinstance(raw, str) else list(raw)


def test_the_topology(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "relay", "proxy"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    # Scaled: more than one web process and more than one relay worker by default.
    for name, variable in (("web", "WEB_REPLICAS"), ("relay", "RELAY_REPLICAS")):
        replicas = str(services[name]["deploy"]["replicas"])
        match = re.fullmatch(r"\$\{" + variable + r":-(\d+)\}", replicas)
        assert match and int(match.group(1)) >= 2, replicas
    # Only the proxy publishes the web port; replicas cannot share a host port.
    assert "ports" not in services["web"] and services["web"]["expose"] == ["8000"]
    assert services["proxy"]["ports"] == ["127.0.0.1:8000:8000"]


def test_every_app_process_runs_the_same_image_with_the_same_wiring(compose):
    services = compose["services"]
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert env["DATABASE_URL"] == "postgres://postgres@db:5432/switchboard"
    assert services["db"]["environment"]["POSTGRES_DB"] == "switchboard"
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    # One secret for every replica (sessions, share-link tokens), never a default.
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert {services[name]["image"] for name in APP_SERVICES} == {"switchboard:local"}
    assert all(services[name]["build"] == "." for name in APP_SERVICES)


def test_each_process_runs_what_it_should(compose):
    services = compose["services"]
    migrate = " ".join(command(services["migrate"]))
    assert "manage.py migrate --noinput" in migrate and services["migrate"]["restart"] == "no"
    web = command(services["web"])
    assert web[0] == "daphne" and web[-1] == "config.asgi:application"
    assert "--proxy-headers" in web and web[web.index("-p") + 1] == "8000"
    assert command(services["relay"])[-2:] == ["manage.py", "relay_worker"]
    # Relays close their upstreams on SIGTERM; that needs more than Docker's default 10 s.
    grace = services["relay"]["stop_grace_period"]
    assert int(grace.rstrip("s")) >= 15


def test_start_order(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "relay"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert "healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_proxy_passes_websockets_and_the_client_address(compose):
    volume = compose["services"]["proxy"]["volumes"][0]
    source = volume.split(":")[0]
    conf = (ROOT / source).read_text()
    assert re.search(r"set \$web http://web:8000;", conf)
    assert "proxy_pass $web;" in conf
    assert "proxy_http_version 1.1;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    # Replaced rather than appended, so a client cannot choose the address Daphne sees.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_add_x_forwarded_for" not in conf
    assert re.search(r"resolver 127\.0\.0\.11 ", conf)


def test_every_app_process_writes_metrics_to_one_shared_volume(compose):
    services = compose["services"]
    directory = services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    for name in APP_SERVICES:
        assert services[name]["volumes"] == [f"metrics:{directory}"]
    assert "metrics" in compose["volumes"]
    # Emptied before any web or relay process starts.
    assert f"rm -f {directory}/*.db &&" in " ".join(command(services["migrate"]))


def test_the_app_trusts_the_proxy_and_knows_its_public_url(compose):
    env = compose["services"]["web"]["environment"]
    assert env["TRUST_X_FORWARDED_PROTO"] == "true"
    assert env["SWITCHBOARD_PUBLIC_URL"] == "${SWITCHBOARD_PUBLIC_URL:-http://127.0.0.1:8000}"
    # Trusting is safe only because the proxy sets the header itself, replacing a client's.
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    # Only the proxy publishes a port: nobody reaches Daphne without passing through it.
    assert "ports" not in compose["services"]["web"]


def test_compose_variables_are_documented():
    documented = (ROOT / "docs" / "configuration.md").read_text()
    env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"][
        "environment"
    ]
    for name in env:
        assert f"| `{name}` |" in documented, name
