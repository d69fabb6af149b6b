"""The device's receipt key: 32 random bytes made on first use and kept in the meta table.

It signs the QR code on every receipt this kiosk prints, so it is never printed, logged or
exported. The central server will share keys between kiosks later (issue #4).
"""

from __future__ import annotations

import secrets

import sqlite_utils

from kiosk.errors import StoreError
from kiosk.store.records import get_meta

RECEIPT_KEY = "receipt_key"
KEY_BYTES = 32


def receipt_key(db: sqlite_utils.Database) -> bytes:
    """This device's receipt key, created the first time it is asked for."""
    with db.atomic():
        # DO NOTHING, not an upsert: when two processes create a key at once, the first one wins
        # and both read it back, so no receipt is ever signed with a key that was then replaced.
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
            [RECEIPT_KEY, secrets.token_hex(KEY_BYTES)],
        )
        stored = get_meta(db, RECEIPT_KEY)
    try:
        key = bytes.fromhex(stored or "")
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        # Never show the stored value: it is (or was meant to be) the key itself.
        raise StoreError(
            "the device's receipt key is damaged",
            where="meta.receipt_key",
            code="receipt.key_damaged",
        )
    return key
