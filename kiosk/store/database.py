"""Opening the device database: WAL, durable commits, and the schema brought up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from kiosk.errors import StoreError
from kiosk.store.migrations import MIGRATIONS, Migration


def open_database(
    path: Path | str, migrations: tuple[Migration, ...] = MIGRATIONS
) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database at `path`; ":memory:" for tests."""
    try:
        if str(path) == ":memory:":
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=10
            )
        db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a submission acknowledged to a person survives a power cut, not only a crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        migrate(db, migrations)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"cannot open database {path}: {exc}", where=str(path), params={"detail": str(exc)}
        ) from exc
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    applied: list[int] = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version <= schema_version(db):
            continue
        with db.atomic():
            migration.apply(db)
            db.execute(f"PRAGMA user_version = {int(migration.version)}")
        applied.append(migration.version)
    return applied
