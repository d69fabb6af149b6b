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


def test_a_version_4_database_gains_english_status_notes_and_keeps_every_row(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    old = open_database(path, tuple(m for m in MIGRATIONS if m.version <= 4))
    assert schema_version(old) == 4
    at = "2026-07-01T08:00:00+00:00"
    old.execute(
        "INSERT INTO submissions (client_id, register_number, program, stage, state, completeness,"
        " body, status_note, created_at, updated_at)"
        " VALUES ('s-1', 'KJP-1', 'kjp-plus', 1, 'verified', 'complete', '{}', 'Lengkap.', ?, ?)",
        [at, at],
    )
    old.execute(
        "INSERT INTO complaints (client_id, register_number, category, state, body,"
        " first_response_due, resolution_due, status_note, created_at, updated_at)"
        " VALUES ('c-1', 'ADU-1', 'other', 'resolved', '{}', ?, ?, 'Selesai.', ?, ?)",
        [at, at, at, at],
    )
    old.conn.commit()
    old.close()

    db = open_database(path)
    assert schema_version(db) == 5
    for table, note in (("submissions", "Lengkap."), ("complaints", "Selesai.")):
        rows = db.execute(f"SELECT client_id, status_note, status_note_en FROM {table}").fetchall()
        assert [(row[1], row[2]) for row in rows] == [(note, None)], table
    db.close()
