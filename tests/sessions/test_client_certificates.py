"""Client certificates against a local TLS ``websockets`` upstream that requires one (mutual
TLS; every certificate made here with ``cryptography``): the right one connects and the record
names it; none, a wrong one and an expired one fail clearly. Uploads: what is refused (each a
400 saying which, nothing stored), what is shown (never the key), who may, and key rotation."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from core.encryption import CannotDecrypt, decrypt
from sessions.certificates import certificate_check, choose, parse_host_pattern
from sessions.models import ClientCertificate, ProjectCABundle
from tests.conftest import Team, assert_error
from tests.factories import make_endpoint
from tests.sessions.upstreams import (
    Issued,
    LoopThread,
    WebsocketsUpstream,
    issue,
    make_ca,
    mutual_tls_context,
)

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


class Authorities:
    """The server's CA and the CA the upstream trusts for client certificates."""

    def __init__(self) -> None:
        self.server_ca = make_ca("Test Server CA")
        self.server = issue(self.server_ca, "localhost", hosts=("localhost", "127.0.0.1"))
        self.client_ca = make_ca("Test Client CA")
        self.stranger_ca = make_ca("Someone Else's CA")


@pytest.fixture(scope="module")
def authorities() -> Authorities:
    return Authorities()


@pytest.fixture(scope="module")
def mtls_upstream(
    upstream_loop: LoopThread, authorities: Authorities, tmp_path_factory: Any
) -> Iterator[WebsocketsUpstream]:
    context = mutual_tls_context(
        authorities.server, authorities.client_ca, tmp_path_factory.mktemp("mtls")
    )
    server = WebsocketsUpstream(upstream_loop, ssl_context=context).start()
    yield server
    server.stop()


def certificates_url(team: Team) -> str:
    return f"/api/v1/projects/{team.project.pk}/client-certificates/"


def upload(client: Any, team: Team, issued: Issued, pattern: str, **extra: Any) -> Any:
    return client.post(
        certificates_url(team),
        {
            "host_pattern": pattern,
            "certificate": issued.cert_pem,
            "private_key": issued.key_pem,
            **extra,
        },
        format="json",
    )


# --- connecting -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_mutual_tls_connects_with_the_right_certificate_and_fails_clearly_without(
    team: Team,
    relay: Any,
    mtls_upstream: WebsocketsUpstream,
    authorities: Authorities,
    sessions_for: Any,
    client_for: Any,
) -> None:
    ProjectCABundle.objects.create(project=team.project, pem=authorities.server_ca.cert_pem)
    endpoint = make_endpoint(team, url=mtls_upstream.url("/echo", host="localhost"))
    sessions = sessions_for(team.editor)

    def attempt() -> tuple[Any, dict[str, Any]]:
        session = sessions.create(endpoint=endpoint.pk)
        response = sessions.connect(session["id"], status=None)
        return response, sessions.get(session["id"])

    # No certificate: the TLS handshake fails, and says a certificate may be what is missing.
    response, session = attempt()
    body = assert_error(response, 502, "connect_failed")
    assert body["kind"] == "tls", body
    assert "client certificate" in body["detail"] and "localhost" in body["detail"], body
    assert session["connection"]["client_certificate"] is None

    admin = client_for(team.admin)
    good = issue(authorities.client_ca, "switchboard-client")
    created = upload(admin, team, good, "localhost").json()
    response, session = attempt()
    assert response.status_code == 200, response.json()
    presented = session["connection"]["client_certificate"]
    assert presented["fingerprint"] == created["fingerprint"]
    assert presented["host_pattern"] == "localhost" and "switchboard-client" in presented["subject"]
    sessions.send(session["id"], format="text", body="over mTLS")
    sessions.wait_events(
        session["id"],
        lambda events: any(e["kind"] == "received" and e["text"] == "over mTLS" for e in events),
    )
    sessions.disconnect(session["id"])

    # A certificate from a CA the server does not trust: refused, and the record says which.
    admin.delete(f"{certificates_url(team)}{created['id']}/")
    wrong = issue(authorities.stranger_ca, "switchboard-client")
    wrong_id = upload(admin, team, wrong, "*.localhost").json()["id"]
    assert upload(admin, team, wrong, "localhost").status_code == 201
    response, session = attempt()
    body = assert_error(response, 502, "connect_failed")
    assert body["kind"] == "tls" and "refused the client certificate" in body["detail"], body
    assert session["connection"]["client_certificate"]["host_pattern"] == "localhost"
    ClientCertificate.objects.filter(project=team.project).exclude(pk=wrong_id).delete()

    # A certificate that expired after it was uploaded: refused by the server.
    expired = issue(
        authorities.client_ca,
        "switchboard-client",
        valid_from=NOW - 3 * DAY,
        valid_until=NOW - DAY,
    )
    checked = certificate_check(
        certificate=expired.cert_pem, private_key=expired.key_pem, now=NOW - 2 * DAY
    )
    ClientCertificate.objects.create(
        project=team.project,
        host_pattern="localhost",
        sealed=checked.sealed,
        subject=checked.subject,
        issuer=checked.issuer,
        not_before=checked.not_before,
        not_after=checked.not_after,
        fingerprint=checked.fingerprint,
    )
    response, session = attempt()
    body = assert_error(response, 502, "connect_failed")
    assert body["kind"] == "tls" and "refused the client certificate" in body["detail"], body
    assert session["connection"]["client_certificate"]["fingerprint"] == checked.fingerprint


# --- uploads ---------------------------------------------------------------------------------


@pytest.fixture
def client_ca() -> Issued:
    return make_ca("Upload CA")


@pytest.mark.django_db
def test_an_upload_shows_what_it_is_and_never_the_key(
    team: Team, client_for: Any, client_ca: Issued
) -> None:
    issued = issue(client_ca, "ci-bot", passphrase="s3cret phrase")
    response = upload(
        client_for(team.admin),
        team,
        issued,
        "API.example.com:8443",
        passphrase="s3cret phrase",
        name="CI",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["host_pattern"] == "api.example.com:8443"
    assert body["subject"] == "CN=ci-bot" and body["issuer"] == "CN=Upload CA"
    assert len(body["fingerprint"].split(":")) == 32
    assert set(body) == {
        "id",
        "name",
        "host_pattern",
        "subject",
        "issuer",
        "not_before",
        "not_after",
        "fingerprint",
        "created_at",
        "created_by",
    }
    listed = client_for(team.viewer).get(certificates_url(team)).json()
    assert [c["fingerprint"] for c in listed] == [body["fingerprint"]]
    stored = ClientCertificate.objects.get()
    assert "PRIVATE KEY" not in stored.sealed and "CERTIFICATE" not in stored.sealed
    assert b"PRIVATE KEY" in decrypt(stored.sealed)


def _bad_uploads(ca: Issued) -> list[tuple[dict[str, str], str, str]]:
    good = issue(ca, "good")
    other = issue(ca, "other")
    encrypted = issue(ca, "locked", passphrase="right")
    expired = issue(ca, "old", valid_from=NOW - 3 * DAY, valid_until=NOW - DAY)
    future = issue(ca, "new", valid_from=NOW + DAY, valid_until=NOW + 3 * DAY)
    return [
        (
            {"certificate": good.cert_pem, "private_key": other.key_pem},
            "private_key",
            "does not match",
        ),
        (
            {"certificate": expired.cert_pem, "private_key": expired.key_pem},
            "certificate",
            "expired",
        ),
        (
            {"certificate": future.cert_pem, "private_key": future.key_pem},
            "certificate",
            "not valid yet",
        ),
        ({"certificate": "hello", "private_key": good.key_pem}, "certificate", "Not PEM"),
        (
            {"certificate": good.cert_pem.replace("MI", "@@", 1), "private_key": good.key_pem},
            "certificate",
            "could not be read",
        ),
        ({"certificate": good.cert_pem, "private_key": "nope"}, "private_key", "Not a PEM"),
        (
            {"certificate": encrypted.cert_pem, "private_key": encrypted.key_pem},
            "passphrase",
            "give its passphrase",
        ),
        (
            {
                "certificate": encrypted.cert_pem,
                "private_key": encrypted.key_pem,
                "passphrase": "wrong",
            },
            "passphrase",
            "does not decrypt",
        ),
        (
            {"certificate": good.cert_pem, "private_key": good.key_pem, "host_pattern": "a b"},
            "host_pattern",
            "host name",
        ),
        (
            {"certificate": good.cert_pem, "private_key": good.key_pem, "host_pattern": "x:99999"},
            "host_pattern",
            "port",
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case", range(10))
def test_a_bad_upload_is_a_400_saying_which_and_stores_nothing(
    team: Team, client_for: Any, client_ca: Issued, case: int
) -> None:
    fields, field, says = _bad_uploads(client_ca)[case]
    response = client_for(team.admin).post(
        certificates_url(team), {"host_pattern": "api.example.com", **fields}, format="json"
    )
    body = assert_error(response, 400, "validation_error")
    assert field in body["fields"], body
    assert says in " ".join(body["fields"][field]), body
    assert not ClientCertificate.objects.exists()


@pytest.mark.django_db
def test_one_certificate_per_host_pattern(team: Team, client_for: Any, client_ca: Issued) -> None:
    admin = client_for(team.admin)
    assert upload(admin, team, issue(client_ca, "a"), "*.example.com").status_code == 201
    body = assert_error(upload(admin, team, issue(client_ca, "b"), "*.EXAMPLE.com"), 400)
    assert "host_pattern" in body["fields"]
    assert ClientCertificate.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, list_status, upload_status, delete_status",
    [
        ("admin", 200, 201, 204),
        ("editor", 200, 403, 403),
        ("viewer", 200, 403, 403),
        ("outsider", 404, 404, 404),
    ],
)
def test_role_matrix_members_read_admins_manage(
    team: Team,
    client_for: Any,
    client_ca: Issued,
    role: str,
    list_status: int,
    upload_status: int,
    delete_status: int,
) -> None:
    existing = upload(client_for(team.admin), team, issue(client_ca, "x"), "a.example.com")
    item = f"{certificates_url(team)}{existing.json()['id']}/"
    client = client_for(team.user(role))
    assert client.get(certificates_url(team)).status_code == list_status
    assert client.get(item).status_code == list_status
    assert upload(client, team, issue(client_ca, "y"), "b.example.com").status_code == upload_status
    assert client.delete(item).status_code == delete_status
    # An admin deleted the first and added one; nobody else changed anything.
    assert ClientCertificate.objects.count() == 1


# --- host patterns and key rotation ------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, host, port, matches",
    [
        ("api.example.com", "API.example.com", 443, True),
        ("api.example.com", "api.example.com", 8443, True),
        ("api.example.com:8443", "api.example.com", 443, False),
        ("*.example.com", "api.example.com", 443, True),
        ("*.example.com", "example.com", 443, False),
        ("*.example.com", "a.b.example.com", 443, False),
        ("127.0.0.1:9000", "127.0.0.1", 9000, True),
        ("[::1]", "::1", 443, True),
    ],
)
def test_host_patterns(pattern: str, host: str, port: int, matches: bool) -> None:
    assert parse_host_pattern(pattern).matches(host, port) is matches


def test_the_most_specific_pattern_wins() -> None:
    class Row:
        def __init__(self, host_pattern: str) -> None:
            self.host_pattern = host_pattern

    rows = [Row("*.example.com"), Row("api.example.com"), Row("api.example.com:8443")]
    assert choose(rows, "api.example.com", 8443) is rows[2]
    assert choose(rows, "api.example.com", 443) is rows[1]
    assert choose(rows, "web.example.com", 443) is rows[0]
    assert choose(rows, "example.org", 443) is None


@pytest.mark.django_db
def test_rotating_the_encryption_key(
    team: Team, client_for: Any, client_ca: Issued, settings: Any
) -> None:
    settings.CERTIFICATE_ENCRYPTION_KEYS = ["old key"]
    assert (
        upload(client_for(team.admin), team, issue(client_ca, "r"), "r.example.com").status_code
        == 201
    )
    settings.CERTIFICATE_ENCRYPTION_KEYS = ["new key", "old key"]
    call_command("rotate_certificate_key")
    settings.CERTIFICATE_ENCRYPTION_KEYS = ["new key"]
    assert b"PRIVATE KEY" in decrypt(ClientCertificate.objects.get().sealed)
    settings.CERTIFICATE_ENCRYPTION_KEYS = ["old key"]
    with pytest.raises(CannotDecrypt):
        decrypt(ClientCertificate.objects.get().sealed)
