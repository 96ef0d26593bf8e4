"""Client certificates for mutual TLS: checking an upload (PEM chain, private key, passphrase),
host patterns (``*.example.com``, ``api.example.com:8443``) and which certificate a wss://
connection presents, and loading one into a TLS context.

Pure apart from the clock and a private temporary file (``ssl`` loads key pairs from files only).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import re
import ssl
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from core.encryption import decrypt, encrypt
from core.errors import ValidationFailed

MAX_PEM = 256 * 1024
MAX_PATTERN = 260
_LABEL = r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)"
_HOST_PATTERN = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*\Z")


@dataclass(frozen=True)
class HostPattern:
    """``host`` is lower case, ``*.`` first for any one label; ``port`` None for any port."""

    host: str
    port: int | None

    @property
    def wildcard(self) -> bool:
        return self.host.startswith("*.")

    def matches(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        if self.port is not None and self.port != port:
            return False
        if self.wildcard:
            first, dot, rest = host.partition(".")
            return bool(first and dot) and rest == self.host[2:]
        return host == self.host

    def specificity(self) -> tuple[int, int]:
        """Exact hosts before wildcards, then a named port before any port."""
        return (0 if self.wildcard else 1, 1 if self.port is not None else 0)


def parse_host_pattern(text: Any) -> HostPattern:
    """``host``, ``host:port``, ``*.domain[:port]``, an IPv4 address or ``[IPv6][:port]``."""
    problem = "Enter a host name, *.domain or an IP address, with an optional :port."
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_PATTERN:
        raise ValidationFailed({"host_pattern": [problem]})
    text = text.strip().lower()
    port: int | None = None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValidationFailed({"host_pattern": [problem]})
        port_text = rest[1:] if rest else ""
        try:
            host = str(ipaddress.IPv6Address(host))
        except ValueError:
            raise ValidationFailed({"host_pattern": [problem]}) from None
    else:
        host, _, port_text = text.partition(":")
        if not _HOST_PATTERN.match(host):
            raise ValidationFailed({"host_pattern": [problem]})
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValidationFailed({"host_pattern": ["The port must be a number from 1 to 65535."]})
        port = int(port_text)
    return HostPattern(host, port)


def pattern_text(pattern: HostPattern) -> str:
    host = f"[{pattern.host}]" if ":" in pattern.host else pattern.host
    return f"{host}:{pattern.port}" if pattern.port is not None else host


def best_match(
    candidates: Iterable[tuple[str, Any]], host: str, port: int
) -> tuple[str, Any] | None:
    """The ``(pattern, item)`` whose pattern matches ``host:port`` most specifically."""
    found = [
        (parsed.specificity(), text, item)
        for text, item in candidates
        if (parsed := parse_host_pattern(text)).matches(host, port)
    ]
    if not found:
        return None
    found.sort(key=lambda entry: entry[0], reverse=True)
    _, text, item = found[0]
    return text, item


# --- checking an upload ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedCertificate:
    """An upload that passed every check: what is shown of it and the sealed key material."""

    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    fingerprint: str
    sealed: str


def _public_bytes(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _load_key(private_key: str, passphrase: str) -> PrivateKeyTypes:
    if "-----BEGIN" not in private_key or "PRIVATE KEY-----" not in private_key:
        raise ValidationFailed({"private_key": ["Not a PEM private key (BEGIN … PRIVATE KEY)."]})
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        return serialization.load_pem_private_key(private_key.encode("utf-8"), password)
    except TypeError:
        if password is None:
            raise ValidationFailed(
                {"passphrase": ["The private key is encrypted: give its passphrase."]}
            ) from None
        raise ValidationFailed(
            {"passphrase": ["The private key is not encrypted: leave the passphrase empty."]}
        ) from None
    except ValueError:
        if password is not None and "ENCRYPTED" in private_key:
            raise ValidationFailed(
                {"passphrase": ["The passphrase does not decrypt the private key."]}
            ) from None
        raise ValidationFailed(
            {"private_key": ["Not a valid PEM private key (it could not be read)."]}
        ) from None
    except Exception:  # the backend's errors for unsupported key types
        raise ValidationFailed(
            {"private_key": ["This private key type is not supported."]}
        ) from None


def _load_chain(certificate: str) -> list[x509.Certificate]:
    if "-----BEGIN CERTIFICATE-----" not in certificate:
        raise ValidationFailed(
            {"certificate": ["Not PEM: paste the certificate chain (BEGIN CERTIFICATE)."]}
        )
    try:
        chain = x509.load_pem_x509_certificates(certificate.encode("utf-8"))
    except ValueError:
        raise ValidationFailed(
            {"certificate": ["Not a valid PEM certificate chain (it could not be read)."]}
        ) from None
    return chain


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()


def certificate_check(
    *,
    certificate: str,
    private_key: str,
    passphrase: str = "",
    now: datetime.datetime | None = None,
) -> CheckedCertificate:
    """Check an upload and seal it; ValidationFailed names ``certificate``, ``private_key`` or
    ``passphrase`` and says what is wrong (not PEM, encrypted key without passphrase, key and
    certificate that do not match, expired or not yet valid)."""
    for field, text in (("certificate", certificate), ("private_key", private_key)):
        if len(text) > MAX_PEM:
            raise ValidationFailed({field: [f"At most {MAX_PEM} characters."]})
    chain = _load_chain(certificate)
    key = _load_key(private_key, passphrase)
    leaf = chain[0]
    if _public_bytes(leaf.public_key()) != _public_bytes(key.public_key()):
        raise ValidationFailed(
            {
                "private_key": [
                    "The private key does not match the certificate (the first in the chain)."
                ]
            }
        )
    now = now or datetime.datetime.now(datetime.UTC)
    if now < leaf.not_valid_before_utc:
        raise ValidationFailed(
            {
                "certificate": [
                    f"The certificate is not valid yet (from {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC)."
                ]
            }
        )
    if now > leaf.not_valid_after_utc:
        raise ValidationFailed(
            {
                "certificate": [
                    f"The certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC."
                ]
            }
        )
    chain_pem = "".join(
        cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in chain
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    sealed = encrypt(json.dumps({"chain": chain_pem, "key": key_pem}).encode("utf-8"))
    # OpenSSL must accept the pair as the relay will load it.
    try:
        load_into(ssl.create_default_context(), sealed)
    except ssl.SSLError as exc:
        raise ValidationFailed(
            {"certificate": [f"TLS cannot use this pair: {exc.reason}."]}
        ) from None
    return CheckedCertificate(
        subject=_name(leaf.subject),
        issuer=_name(leaf.issuer),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(":").upper(),
        sealed=sealed,
    )


# --- presenting one -------------------------------------------------------------------------


def load_into(context: ssl.SSLContext, sealed: str) -> None:
    """Load a sealed chain and key into ``context``, through a private file removed at once."""
    material = json.loads(decrypt(sealed))
    descriptor, path = tempfile.mkstemp(prefix="sb-client-", suffix=".pem")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(material["key"])
            handle.write(material["chain"])
        context.load_cert_chain(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def presented(certificate: Any) -> dict[str, Any]:
    """How a connection record names the certificate it presented (never the key)."""
    return {
        "id": certificate.pk,
        "name": certificate.name,
        "host_pattern": certificate.host_pattern,
        "subject": certificate.subject,
        "fingerprint": certificate.fingerprint,
    }


def choose(certificates: Sequence[Any], host: str, port: int) -> Any | None:
    """The project's certificate for ``host:port`` (most specific pattern), or None."""
    match = best_match(((c.host_pattern, c) for c in certificates), host, port)
    return match[1] if match else None
