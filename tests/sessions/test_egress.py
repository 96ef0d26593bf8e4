"""The egress policy: pure checks, and the relay refusing denied targets before any packet."""

from __future__ import annotations

import re
import socket

import pytest

from sessions.errors import EgressDenied
from sessions.relay.egress import (
    EgressPolicy,
    Target,
    check,
    effective_address,
    parse_networks,
)
from tests.sessions.upstreams import WebsocketsUpstream


def policy(deny: list[str], allow: list[str] | None = None) -> EgressPolicy:
    return EgressPolicy(allow=parse_networks(allow or []), deny=parse_networks(deny))


DEFAULT_DENY = [
    "0.0.0.0/8",
    "169.254.0.0/16",
    "100.100.100.200/32",
    "224.0.0.0/3",
    "::/128",
    "fe80::/10",
    "fd00:ec2::254/128",
    "ff00::/8",
]


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack metadata
        "::ffff:169.254.169.254",  # the same, IPv4-mapped
        "::ffff:a9fe:a9fe",  # the same, in hex
        "64:ff9b::a9fe:a9fe",  # the same, through NAT64
        "2002:a9fe:a9fe::1",  # the same, 6to4
        "fd00:ec2::254",  # AWS IPv6 metadata
        "fe80::1%eth0",  # link-local with a zone
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_metadata_link_local_and_wrapped_forms_are_denied(address):
    assert policy(DEFAULT_DENY).problem(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "8.8.8.8", "::1"])
def test_loopback_private_and_public_are_allowed_by_default(address):
    assert policy(DEFAULT_DENY).problem(address) is None


def test_allow_list_narrows_and_deny_wins():
    narrow = policy(["10.0.0.5/32"], allow=["10.0.0.0/8"])
    assert narrow.problem("10.0.0.4") is None
    assert "UPSTREAM_DENY_CIDRS" in (narrow.problem("10.0.0.5") or "")
    assert "UPSTREAM_ALLOW_CIDRS" in (narrow.problem("192.168.1.1") or "")
    assert effective_address("::ffff:10.0.0.5").exploded == "10.0.0.5"


def test_one_denied_address_denies_the_host():
    targets = [
        Target(socket.AF_INET, "93.184.216.34", 80),
        Target(socket.AF_INET, "169.254.169.254", 80),
    ]
    with pytest.raises(EgressDenied, match=re.escape("example.test resolves to 169.254.169.254")):
        check("example.test", targets, policy(DEFAULT_DENY))


def test_bad_cidr_is_named():
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33'")):
        parse_networks(["10.0.0.0/33"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url", ["ws://169.254.169.254/latest/meta-data/", "ws://[::ffff:169.254.169.254]:80/"]
)
def test_metadata_address_is_a_403_and_logged(relay, team, sessions_for, url):
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=url)
    denied = api.connect(session["id"], status=403).json()
    assert denied["code"] == "egress_denied"
    assert "169.254.0.0/16" in denied["detail"]
    assert denied["connection"]["failure"]["kind"] == "egress"
    assert denied["connection"]["response"]["status"] is None
    events = api.events(session["id"])
    assert [e["kind"] for e in events] == ["connecting", "error"]
    assert events[1]["info"]["kind"] == "egress"
    assert api.get(session["id"])["state"] == "failed"


@pytest.mark.django_db(transaction=True)
def test_a_name_resolving_to_a_denied_address_gets_no_packet(
    relay, team, sessions_for, settings, upstream_loop
):
    # A real server on 127.0.0.2 counts connections; the policy denies that one address and
    # the relay's resolver maps internal.test to it.
    server = WebsocketsUpstream(upstream_loop)
    server.host = "127.0.0.2"
    server.start()
    try:
        settings.UPSTREAM_DENY_CIDRS = [*DEFAULT_DENY, "127.0.0.2/32"]
        api = sessions_for(team.editor)
        session = api.create(project=team.project.pk, url=server.url("/echo", host="internal.test"))
        denied = api.connect(session["id"], status=403).json()
        assert "internal.test resolves to 127.0.0.2" in denied["detail"]
        assert server.connections == 0

        # The same server by its address is fine once the policy allows it.
        settings.UPSTREAM_DENY_CIDRS = DEFAULT_DENY
        assert api.connect(session["id"]).json()["state"] == "open"
        assert server.connections == 1
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_redirects_are_not_followed_unless_allowed_and_each_hop_is_checked(
    relay, team, sessions_for, settings, ws_upstream
):
    api = sessions_for(team.editor)
    target = ws_upstream.url("/echo")
    session = api.create(project=team.project.pk, url=ws_upstream.url(f"/redirect?to={target}"))
    refused = api.connect(session["id"], status=502).json()
    assert refused["kind"] == "redirect"
    assert refused["connection"]["response"]["status"] == 302
    assert target in refused["detail"]

    settings.UPSTREAM_MAX_REDIRECTS = 2
    opened = api.connect(session["id"]).json()
    assert opened["connection"]["request"]["url"] == target

    hop = "ws://metadata.test/"
    api.disconnect(session["id"])
    api.patch(session["id"], url=ws_upstream.url(f"/redirect?to={hop}"))
    denied = api.connect(session["id"], status=403).json()
    assert "metadata.test resolves to 169.254.169.254" in denied["detail"]
