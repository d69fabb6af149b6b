"""The device database: migrations from empty, WAL, and a migration that fails leaves nothing half-done."""

import sqlite3

import pytest

from kiosk.errors import StoreError
from kiosk.store.database import migrate, open_database, schema_version
from kiosk.store.migrations import MIGRATIONS, Migration


def test_an_empty_file_is_migrated_to_the_latest_schema(tmp_path):
    db = open_database(tmp_path / "kiosk.sqlite")
    assert schema_version(db) == max(m.version for m in MIGRATIONS)
    assert {"submissions", "complaints", "outbox", "roster", "attachments"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_opening_twice_applies_nothing_the_second_time(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    open_database(path).close()
    db = open_database(path)
    assert migrate(db) == []
    db.close()


def test_a_failing_migration_rolls_back_entirely_and_keeps_the_old_version(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    open_database(path).close()

    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        db.execute("INSERT INTO no_such_table VALUES (1)")

    db = open_database(path, MIGRATIONS)
    before = schema_version(db)
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, (*MIGRATIONS, Migration(before + 1, "broken", broken)))
    assert schema_version(db) == before
    assert "half_done" not in db.table_names()
    db.close()


def test_a_file_that_is_not_a_database_gets_a_clear_error_naming_it(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as caught:
        open_database(path)
    assert str(path) in str(caught.value)
