"""Which servers the device will talk to, and how it knows it reached the right one.

Plain http is refused except on the device's own loopback: the credential, every NIK and every
photo would cross the office's Wi-Fi readable by anyone on it. An operator who has no choice
(a closed network with no certificate) says so at enrolment, and every sync says it again.

A pin is the SHA-256 of the server's certificate (DER), as `openssl x509 -noout -fingerprint
-sha256` prints it. With a pin the certificate itself is the trust, like an SSH host key: no
authority needs to vouch for it (a self-signed certificate works) and any other certificate is
refused during the handshake, before a byte of the request is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.errors import BadServerAddress, PinMismatch, PlainHttpRefused

LOOPBACK_NAMES = frozenset({"localhost"})


class _PinnedCertificateRefused(ssl.SSLCertVerificationError):
    """Raised inside the handshake; the client finds it in the chain and says PinMismatch."""


@dataclass(frozen=True)
class ServerTrust:
    """What the operator decided at enrolment; stored with the enrolment, honoured on every sync.

    `pin_sha256`: lowercase hex of the certificate's SHA-256. `ca_pem`: an office's own authority,
    trusted instead of the public ones.
    """

    allow_plain_http: bool = False
    pin_sha256: str | None = None
    ca_pem: str | None = field(default=None, repr=False)

    def ssl_context(self) -> ssl.SSLContext | bool:
        """What httpx's `verify` takes: True (public authorities) or a context of our own."""
        if self.pin_sha256:
            return _PinnedContext(self.pin_sha256)
        if self.ca_pem:
            return ssl.create_default_context(cadata=self.ca_pem)
        return True


def readable_ca(pem: str) -> bool:
    """True when `pem` holds at least one certificate TLS can trust as an authority."""
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError):
        return False
    return True


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: traffic that never leaves this machine."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def travels_unencrypted(server_url: str) -> bool:
    """True for http:// to another machine: readable by anyone on the network between."""
    url = httpx.URL(server_url)
    return url.scheme == "http" and not is_loopback(url.host)


def require_safe_address(server_url: str, trust: ServerTrust) -> None:
    """PlainHttpRefused for http:// off this machine unless the operator allowed it.

    Checked before any connection, so a refused address never sees the code or the credential.
    """
    url = httpx.URL(server_url)
    if travels_unencrypted(server_url) and not trust.allow_plain_http:
        raise PlainHttpRefused(
            "plain http to another machine; use https or enrol with --allow-plain-http",
            params={"server": url.host},
        )
    if url.scheme == "http" and trust.pin_sha256:
        raise BadServerAddress(
            "a certificate pin needs an https address", params={"server": server_url}
        )


def normalise_pin(text: str) -> str:
    """Lowercase hex of a SHA-256 given as hex (colons allowed) or base64; ValueError otherwise."""
    compact = text.strip().replace(":", "")
    if len(compact) == 64:
        try:
            return bytes.fromhex(compact).hex()
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a SHA-256 in hex or base64") from exc
    if len(raw) != hashlib.sha256().digest_size:
        raise ValueError("not a SHA-256 in hex or base64")
    return raw.hex()


def certificate_pin(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def pin_refusal(error: BaseException, server: str) -> PinMismatch | None:
    """PinMismatch when `error` (an httpx error) came from a refused pinned certificate."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _PinnedCertificateRefused):
            return PinMismatch(
                "the server's certificate is not the one pinned at enrolment",
                params={"server": server},
            )
        cause = cause.__cause__ or cause.__context__
    return None


class _PinnedContext(ssl.SSLContext):
    """A TLS context whose only trust is one certificate's SHA-256, checked in the handshake."""

    expected_pin: str

    def __new__(cls, expected_pin: str) -> _PinnedContext:
        context = super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)
        context.expected_pin = expected_pin
        return context

    def __init__(self, expected_pin: str) -> None:
        super().__init__()
        self.minimum_version = ssl.TLSVersion.TLSv1_2
        # The pin replaces the authorities and the name: the certificate itself is the identity.
        self.check_hostname = False
        self.verify_mode = ssl.CERT_NONE

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        wrapped = super().wrap_socket(sock, *args, **kwargs)
        der = wrapped.getpeercert(binary_form=True)
        if der is None or certificate_pin(der) != self.expected_pin:
            wrapped.close()
            raise _PinnedCertificateRefused("the server's certificate does not match the pin")
        return wrapped
