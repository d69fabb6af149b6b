"""Staff TOTP secrets at rest: sealed with a key of the server's own, never stored in the clear.

The key is 32 random bytes in `staff-totp.key` in the server's data folder, created on first
need, readable by the server's user only (0600). A sealed secret is
`v1$<nonce hex>$<ciphertext hex>$<tag hex>`: the secret's bytes XORed with HMAC-SHA-256 of the
key over a fresh nonce and the account's id, and a tag (HMAC-SHA-256, cut to 16 bytes) over all
of it. The standard library is enough for that, and the tag binds the secret to its account, so a
sealed value copied onto another account's row does not open.

What it protects: a database dump or backup (or a PostgreSQL server) without the data folder
gives no secret. What it does not: whoever holds both the database and the key file (the same
machine, for SQLite) can open every secret; disk encryption is the answer there (README).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

import pyotp

from kiosk.domain import credentials
from sync.server.errors import StaffError
from sync.server.staff.roles import Role

KEY_FILE = "staff-totp.key"
KEY_BYTES = 32
NONCE_BYTES = 16
TAG_BYTES = 16
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommendation; 32 base32 characters
ISSUER = "Lengkap"
_VERSION = "v1"

# Roles whose console sign-in needs a one-time code beside the password; other roles may opt in.
REQUIRED_FOR = frozenset({Role.ADMIN, Role.SUPERVISOR})

_keys: dict[Path, bytes] = {}
_keys_guard = threading.Lock()


def server_key(data_dir: Path) -> bytes:
    """The sealing key of this data folder, created (0600) the first time it is asked for."""
    path = (Path(data_dir) / KEY_FILE).resolve()
    with _keys_guard:
        if path not in _keys:
            _keys[path] = _read_or_create(path)
        return _keys[path]


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) != KEY_BYTES:
            raise StaffError("totp_key_damaged", "the TOTP key file is damaged") from None
        return key
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.hex())
    return key


def new_secret() -> str:
    """A fresh base32 secret for an authenticator app."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    return pyotp.TOTP(
        secret,
        digits=credentials.TOTP_DIGITS,
        interval=credentials.TOTP_PERIOD_SECONDS,
    ).provisioning_uri(name=account, issuer_name=ISSUER)


def _stream(key: bytes, nonce: bytes, account_id: int, length: int) -> bytes:
    block = hmac.new(key, b"stream" + nonce + account_id.to_bytes(8, "big"), hashlib.sha256)
    return block.digest()[:length]


def _tag(key: bytes, nonce: bytes, account_id: int, sealed: bytes) -> bytes:
    message = b"tag" + nonce + account_id.to_bytes(8, "big") + sealed
    return hmac.new(key, message, hashlib.sha256).digest()[:TAG_BYTES]


def seal(key: bytes, secret: str, account_id: int) -> str:
    """The stored form of an account's secret."""
    plain = base64.b32decode(secret)
    if len(plain) > hashlib.sha256().digest_size:
        raise ValueError("a TOTP secret is at most 32 bytes")
    nonce = secrets.token_bytes(NONCE_BYTES)
    stream = _stream(key, nonce, account_id, len(plain))
    cipher = bytes(a ^ b for a, b in zip(plain, stream, strict=True))
    tag = _tag(key, nonce, account_id, cipher)
    return f"{_VERSION}${nonce.hex()}${cipher.hex()}${tag.hex()}"


def unseal(key: bytes, stored: str, account_id: int) -> str | None:
    """The secret back, or None when it was sealed with another key or for another account."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != _VERSION:
        return None
    try:
        nonce, cipher, tag = (bytes.fromhex(part) for part in parts[1:])
    except ValueError:
        return None
    if not hmac.compare_digest(_tag(key, nonce, account_id, cipher), tag):
        return None
    stream = _stream(key, nonce, account_id, len(cipher))
    plain = bytes(a ^ b for a, b in zip(cipher, stream, strict=True))
    return base64.b32encode(plain).decode("ascii")
