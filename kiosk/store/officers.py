"""Officers who may use the counter: name, PIN hash and lockout state, as stored.

Hashing and the lockout rule live in kiosk.domain.credentials; this module only reads and writes.
Since issue #10 `pin_hash` holds the shared encoded form (`scrypt$n$r$p$salt$hash`, UTF-8) and
`salt` is empty. Rows from before keep the salt apart and the raw hash at the then-fixed cost;
they are read as the encoded form and rewritten at the officer's next sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import sqlite_utils

from kiosk.domain.credentials import Lockout, ScryptCost, UnknownNames, encode

# The cost every PIN was hashed at before the cost was written into the hash.
_COST_BEFORE_ISSUE_10 = ScryptCost(n=2**14, r=8, p=1, length=32)


@dataclass(frozen=True)
class OfficerRow:
    name: str
    pin_hash: str = field(repr=False)  # the encoded form, whichever way the row keeps it
    lockout: Lockout
    created_at: str
    legacy: bool = False  # kept the old way: rewrite at the next sign-in


_COLUMNS = "name, salt, pin_hash, failed_attempts, locked_until, created_at"


def insert_officer(db: sqlite_utils.Database, name: str, pin_hash: str, at: str) -> None:
    db.execute(
        "INSERT INTO officers(name, salt, pin_hash, created_at) VALUES (?, ?, ?, ?)",
        [name, b"", pin_hash.encode("utf-8"), at],
    )


def _row(values: tuple[Any, ...]) -> OfficerRow:
    name, salt, pin_hash, misses, locked_until, created_at = values
    until = datetime.fromisoformat(locked_until) if locked_until else None
    lockout = Lockout(misses, until)
    if salt:
        stored = encode(_COST_BEFORE_ISSUE_10, salt, pin_hash)
        return OfficerRow(name, stored, lockout, created_at, legacy=True)
    return OfficerRow(name, bytes(pin_hash).decode("utf-8"), lockout, created_at)


def name_key(name: str) -> str:
    """Names compare as the table does (SQLite's NOCASE folds ASCII letters only)."""
    return "".join(char.lower() if char.isascii() else char for char in name)


def find_officer(db: sqlite_utils.Database, name: str) -> OfficerRow | None:
    # Names compare without regard to case: an officer types their name at a tired counter.
    row = db.execute(
        f"SELECT {_COLUMNS} FROM officers WHERE name = ? COLLATE NOCASE", [name]
    ).fetchone()
    return _row(row) if row else None


def officer_names(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM officers ORDER BY name")]


def save_lockout(db: sqlite_utils.Database, name: str, lockout: Lockout) -> None:
    until = lockout.locked_until.isoformat() if lockout.locked_until else None
    db.execute(
        "UPDATE officers SET failed_attempts = ?, locked_until = ? WHERE name = ?",
        [lockout.misses, until, name],
    )


def save_pin_hash(db: sqlite_utils.Database, name: str, pin_hash: str) -> None:
    db.execute(
        "UPDATE officers SET salt = ?, pin_hash = ? WHERE name = ?",
        [b"", pin_hash.encode("utf-8"), name],
    )


_unknown: WeakKeyDictionary[sqlite_utils.Database, UnknownNames] = WeakKeyDictionary()


def unknown_names(db: sqlite_utils.Database) -> UnknownNames:
    """The lockout states of names typed that are no officer on this database, this process only."""
    if db not in _unknown:
        _unknown[db] = UnknownNames()
    return _unknown[db]
