"""Versioned schema changes, applied in order and recorded in PRAGMA user_version.

Append new steps; never edit one that has shipped, because devices in the field already ran it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def run_statements(db: sqlite_utils.Database, script: str) -> None:
    """Run `;`-separated DDL one statement at a time.

    sqlite3's executescript() would COMMIT first, breaking the one-transaction-per-migration rule.
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _initial_schema(db: sqlite_utils.Database) -> None:
    run_statements(
        db,
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        CREATE TABLE submissions (
            client_id TEXT PRIMARY KEY,
            register_number TEXT NOT NULL UNIQUE,
            program TEXT NOT NULL,
            stage INTEGER NOT NULL,
            state TEXT NOT NULL,
            completeness TEXT NOT NULL,
            nik TEXT,
            kk TEXT,
            body TEXT NOT NULL,
            status_note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX submissions_nik ON submissions(nik);
        CREATE INDEX submissions_updated_at ON submissions(updated_at);
        CREATE TABLE complaints (
            client_id TEXT PRIMARY KEY,
            register_number TEXT NOT NULL UNIQUE,
            category TEXT NOT NULL,
            state TEXT NOT NULL,
            nik TEXT,
            body TEXT NOT NULL,
            first_response_due TEXT NOT NULL,
            resolution_due TEXT NOT NULL,
            status_note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX complaints_nik ON complaints(nik);
        CREATE INDEX complaints_updated_at ON complaints(updated_at);
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            client_id TEXT NOT NULL,
            body TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, client_id)
        );
        CREATE INDEX outbox_state ON outbox(state, seq);
        CREATE TABLE attachments (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE roster (
            program TEXT NOT NULL,
            nik TEXT NOT NULL,
            kk TEXT,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            birth_date TEXT,
            region_code TEXT,
            bank TEXT,
            account TEXT,
            extra TEXT,
            source TEXT,
            source_line INTEGER,
            imported_at TEXT NOT NULL,
            PRIMARY KEY (program, nik)
        ) WITHOUT ROWID;
        CREATE INDEX roster_nik ON roster(nik);
        CREATE INDEX roster_kk ON roster(kk);
        """,
    )


def _outbox_states(db: sqlite_utils.Database) -> None:
    """Issue #4: pending -> sending -> sent, or quarantined with a code and a sentence to act on.

    `sending_fingerprint` is the body's fingerprint when it left, so a response about an older
    version of a record edited meanwhile never marks the new one sent.
    """
    run_statements(
        db,
        """
        ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE outbox ADD COLUMN error_code TEXT;
        ALTER TABLE outbox ADD COLUMN sending_fingerprint TEXT;
        ALTER TABLE outbox ADD COLUMN sent_at TEXT;
        ALTER TABLE outbox ADD COLUMN updated_at TEXT;
        CREATE INDEX outbox_client_id ON outbox(client_id)
        """,
    )


def _officers(db: sqlite_utils.Database) -> None:
    """Issue #5: officers who may use the counter, each with a salted scrypt hash of their PIN."""
    run_statements(
        db,
        """
        CREATE TABLE officers (
            name TEXT PRIMARY KEY,
            salt BLOB NOT NULL,
            pin_hash BLOB NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL
        )
        """,
    )


def _survey_answers(db: sqlite_utils.Database) -> None:
    """Issue #5: the self-check kiosk's one-question satisfaction survey; no personal data kept."""
    run_statements(
        db,
        """
        CREATE TABLE survey_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            flow TEXT NOT NULL,
            language TEXT NOT NULL,
            answered_at TEXT NOT NULL
        )
        """,
    )


def _status_note_en(db: sqlite_utils.Database) -> None:
    """The central staff's generated status note in English too; `status_note` stays Indonesian
    (or the one language a staff member typed). NULL when the server sent no English."""
    run_statements(
        db,
        """
        ALTER TABLE submissions ADD COLUMN status_note_en TEXT;
        ALTER TABLE complaints ADD COLUMN status_note_en TEXT
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial_schema),
    Migration(2, "outbox states for sync", _outbox_states),
    Migration(3, "officers with hashed PINs", _officers),
    Migration(4, "satisfaction survey answers", _survey_answers),
    Migration(5, "status notes in English", _status_note_en),
)
