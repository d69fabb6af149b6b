"""Officers who may use the counter: name, salted PIN hash and lockout state, as stored.

Hashing and the lockout policy live in kiosk.services.officers; this module only reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils


@dataclass(frozen=True)
class OfficerRow:
    name: str
    salt: bytes = field(repr=False)
    pin_hash: bytes = field(repr=False)
    failed_attempts: int
    locked_until: str | None
    created_at: str


_COLUMNS = "name, salt, pin_hash, failed_attempts, locked_until, created_at"


def insert_officer(
    db: sqlite_utils.Database, name: str, salt: bytes, pin_hash: bytes, at: str
) -> None:
    db.execute(
        "INSERT INTO officers(name, salt, pin_hash, created_at) VALUES (?, ?, ?, ?)",
        [name, salt, pin_hash, at],
    )


def find_officer(db: sqlite_utils.Database, name: str) -> OfficerRow | None:
    # Names compare without regard to case: an officer types their name at a tired counter.
    row = db.execute(
        f"SELECT {_COLUMNS} FROM officers WHERE name = ? COLLATE NOCASE", [name]
    ).fetchone()
    return OfficerRow(*row) if row else None


def officer_names(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM officers ORDER BY name")]


def save_attempts(
    db: sqlite_utils.Database, name: str, failed_attempts: int, locked_until: str | None
) -> None:
    db.execute(
        "UPDATE officers SET failed_attempts = ?, locked_until = ? WHERE name = ?",
        [failed_attempts, locked_until, name],
    )
