"""Repositories for submissions and complaints; each save writes the record and its outbox row together.

The outbox is the only path to the server (issue #4's sync drains it). Writing both in one
transaction means a record is either saved and queued, or not saved at all: never one without
the other, whatever happens to the power.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlite_utils

from kiosk.domain.complaints import Complaint
from kiosk.domain.register_numbers import ALPHABET, DEVICE_CODE_LENGTH, RegisterNumber
from kiosk.domain.submissions import Submission
from kiosk.store.codec import complaint_to_record, submission_to_record

DEVICE_CODE_KEY = "device_code"


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def device_code(db: sqlite_utils.Database) -> str:
    """This device's code, drawn at random the first time.

    Enrollment with the central server (issue #4) replaces it with a code the server guarantees
    unique; until then a random 6-character code (31^6, about 887 million) keeps clashes unlikely.
    """
    with db.atomic():
        code = get_meta(db, DEVICE_CODE_KEY)
        if code is None:
            code = "".join(secrets.choice(ALPHABET) for _ in range(DEVICE_CODE_LENGTH))
            set_meta(db, DEVICE_CODE_KEY, code)
    return code


def next_register_number(db: sqlite_utils.Database) -> RegisterNumber:
    """Take the next number from this device's counter; call inside the saving transaction."""
    code = device_code(db)
    value = db.execute(
        "INSERT INTO counters(name, value) VALUES ('register', 1) "
        "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value"
    ).fetchone()[0]
    return RegisterNumber(code, int(value))


def _enqueue(db: sqlite_utils.Database, kind: str, client_id: str, body: str, at: datetime) -> None:
    db.execute(
        "INSERT INTO outbox(kind, client_id, body, created_at) VALUES (?, ?, ?, ?)",
        [kind, client_id, body, at.isoformat()],
    )


def _save_with_outbox(
    db: sqlite_utils.Database, table: str, kind: str, row: dict[str, Any], at: datetime
) -> None:
    """Insert `row` into `table` and its outbox row in one transaction: both or neither."""
    columns = ", ".join(row)
    placeholders = ", ".join("?" for _ in row)
    with db.atomic():
        db.execute(f"INSERT INTO {table}({columns}) VALUES ({placeholders})", list(row.values()))
        _enqueue(db, kind, row["client_id"], row["body"], at)


def save_submission(db: sqlite_utils.Database, submission: Submission) -> None:
    """Insert a queued submission and its outbox row in one transaction."""
    record = submission_to_record(submission)
    at = submission.created_at.isoformat()
    row = {
        "client_id": submission.client_id,
        "register_number": record["register_number"],
        "program": submission.program,
        "stage": submission.stage,
        "state": submission.state.value,
        "completeness": submission.completeness.value,
        "nik": submission.applicant.nik,
        "kk": submission.applicant.kk,
        "body": _dumps(record),
        "created_at": at,
        "updated_at": at,
    }
    _save_with_outbox(db, "submissions", "submission", row, submission.created_at)


def save_complaint(db: sqlite_utils.Database, complaint: Complaint) -> None:
    """Insert a queued complaint and its outbox row in one transaction."""
    record = complaint_to_record(complaint)
    at = complaint.filed_at.isoformat()
    row = {
        "client_id": complaint.client_id,
        "register_number": record["register_number"],
        "category": complaint.category.value,
        "state": complaint.state.value,
        "nik": complaint.complainant.nik,
        "body": _dumps(record),
        "first_response_due": record["first_response_due"],
        "resolution_due": record["resolution_due"],
        "created_at": at,
        "updated_at": at,
    }
    _save_with_outbox(db, "complaints", "complaint", row, complaint.filed_at)


def find_by_register_number(db: sqlite_utils.Database, compact_text: str) -> dict[str, Any] | None:
    """The submission or complaint row with this register number (its canonical dashed form)."""
    for kind, table in (("submission", "submissions"), ("complaint", "complaints")):
        row = db.execute(
            f"SELECT state, body, status_note, updated_at, status_note_en FROM {table}"
            " WHERE register_number = ?",
            [compact_text],
        ).fetchone()
        if row:
            return {
                "kind": kind,
                "state": row[0],
                "record": json.loads(row[1]),
                "status_note": row[2],
                "status_note_en": row[4],
                "updated_at": row[3],
            }
    return None


def iter_records(db: sqlite_utils.Database, since: str | None = None) -> Iterator[dict[str, Any]]:
    """Every submission and complaint (changed on or after `since`), oldest first, with its state."""
    for table in ("submissions", "complaints"):
        sql = f"SELECT body, state, status_note, updated_at FROM {table}"
        params: list[str] = []
        if since:
            sql += " WHERE updated_at >= ?"
            params.append(since)
        sql += " ORDER BY created_at, register_number"
        for body, state, note, updated_at in db.execute(sql, params):
            record = json.loads(body)
            record.update(state=state, status_note=note, updated_at=updated_at)
            yield record


def pending_outbox_count(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0])
