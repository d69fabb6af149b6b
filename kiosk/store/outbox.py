"""The outbox's life cycle: pending -> sending -> sent, or quarantined with a reason a person can act on.

Rows are written by kiosk.store.records together with their record; only the sync engine moves
them on, through these functions. A result about a body that has changed since it was sent is
refused (DHIS2's lesson): `sending_fingerprint` remembers what left the device.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
QUARANTINED = "quarantined"
STATES = (PENDING, SENDING, SENT, QUARANTINED)
TABLES = {"submission": "submissions", "complaint": "complaints"}  # records with a state
_COLUMNS = (
    "seq, kind, client_id, body, state, attempts, error_code, last_error, next_attempt_at,"
    " created_at"
)


@dataclass(frozen=True)
class OutboxRow:
    """One queued record as stored; the body (personal data) stays out of repr()."""

    seq: int
    kind: str
    client_id: str
    body: dict[str, Any] = field(repr=False)
    state: str
    attempts: int
    error_code: str | None
    last_error: dict[str, str] | None
    next_attempt_at: str | None
    created_at: str

    @property
    def fingerprint(self) -> str:
        return body_fingerprint(self.body)

    @property
    def attachments(self) -> tuple[str, ...]:
        """SHA-256s of the photos the record refers to, each once, in document order."""
        shas = (item.get("photo_sha256") for item in self.body.get("documents") or ())
        return tuple(dict.fromkeys(sha for sha in shas if sha))

    @property
    def register_number(self) -> str | None:
        return self.body.get("register_number")


def body_fingerprint(body: Mapping[str, Any]) -> str:
    """Names one version of a body: equal bodies, equal fingerprints, whatever the key order.

    The device's own marker of what left it (the server keeps its own for duplicates).
    """
    text = json.dumps(dict(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _row(values: tuple[Any, ...]) -> OutboxRow:
    seq, kind, client_id, body, state, attempts, code, error, next_at, created = values
    return OutboxRow(
        seq=seq,
        kind=kind,
        client_id=client_id,
        body=json.loads(body),
        state=state,
        attempts=attempts,
        error_code=code,
        last_error=json.loads(error) if error else None,
        next_attempt_at=next_at,
        created_at=created,
    )


def _message(message: Mapping[str, str] | None) -> str | None:
    return json.dumps(dict(message), ensure_ascii=False, sort_keys=True) if message else None


def enqueue(
    db: sqlite_utils.Database, kind: str, client_id: str, body: Mapping[str, Any], at: str
) -> None:
    """Queue a record for the server; call inside the transaction that saves the record."""
    db.execute(
        "INSERT INTO outbox(kind, client_id, body, created_at) VALUES (?, ?, ?, ?)",
        [
            kind,
            client_id,
            json.dumps(dict(body), ensure_ascii=False, sort_keys=True, separators=(",", ":")),
            at,
        ],
    )


def recover_interrupted(db: sqlite_utils.Database) -> int:
    """Put rows left `sending` by a process that died back in the queue; returns how many.

    Call only while holding the sync lock. Resending them is safe: the server answers
    `duplicate` for a record it already stored.
    """
    with db.atomic():
        cursor = db.execute(
            "UPDATE outbox SET state = ?, sending_fingerprint = NULL WHERE state = ?",
            [PENDING, SENDING],
        )
    return int(cursor.rowcount)


def due_rows(
    db: sqlite_utils.Database, *, after_seq: int = 0, limit: int = 100, now: str | None = None
) -> list[OutboxRow]:
    """Pending rows after `after_seq`, oldest first; with `now`, only those whose retry time came."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE state = ? AND seq > ?"
        " AND (? IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?)"
        " ORDER BY seq LIMIT ?",
        [PENDING, after_seq, now, now, limit],
    )
    return [_row(values) for values in rows]


def count_due(db: sqlite_utils.Database, now: str | None = None) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM outbox WHERE state = ?"
            " AND (? IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?)",
            [PENDING, now, now],
        ).fetchone()[0]
    )


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many rows are in each state (every state present, zeros included)."""
    found = dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    return {state: int(found.get(state, 0)) for state in STATES}


def quarantined_rows(db: sqlite_utils.Database) -> list[OutboxRow]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY seq", [QUARANTINED])
    return [_row(values) for values in rows]


def requeue_quarantined(db: sqlite_utils.Database, seqs: Iterable[int], at: str) -> int:
    """Put quarantined rows back in the queue, once what refused them is fixed (rules, roster).

    A submission the quarantine marked `rejected` is `queued` again, so its status stops saying
    it was refused; a rejection decided by staff comes from a sent row and is never touched.
    """
    requeued = 0
    with db.atomic():
        for seq in seqs:
            row = db.execute(
                "SELECT kind, client_id FROM outbox WHERE seq = ? AND state = ?", [seq, QUARANTINED]
            ).fetchone()
            if row is None:
                continue
            db.execute(
                "UPDATE outbox SET state = ?, error_code = NULL, last_error = NULL,"
                " next_attempt_at = NULL, updated_at = ? WHERE seq = ?",
                [PENDING, at, seq],
            )
            if row[0] == "submission":
                db.execute(
                    "UPDATE submissions SET state = 'queued', status_note = NULL,"
                    " status_note_en = NULL, updated_at = ? WHERE client_id = ? AND state = 'rejected'",
                    [at, row[1]],
                )
            requeued += 1
    return requeued


def claim(db: sqlite_utils.Database, seqs: Iterable[int], at: str) -> list[OutboxRow]:
    """Mark still-pending rows `sending` and return them exactly as they are sent.

    Reading the body and recording its fingerprint in one transaction is what lets a later
    result be checked against the version that actually left.
    """
    wanted = list(seqs)
    with db.atomic():
        rows = [
            _row(values)
            for values in db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = ?"
                " AND seq IN (SELECT value FROM json_each(?)) ORDER BY seq",
                [PENDING, json.dumps(wanted)],
            )
        ]
        db.conn.executemany(
            "UPDATE outbox SET state = ?, sending_fingerprint = ?, updated_at = ? WHERE seq = ?",
            [(SENDING, row.fingerprint, at, row.seq) for row in rows],
        )
    return rows


def _is_current(db: sqlite_utils.Database, seq: int, fingerprint: str) -> tuple[str, str] | None:
    """(kind, client_id) when the row is still `sending` this exact body; None when stale."""
    found = db.execute(
        "SELECT kind, client_id, body, state FROM outbox WHERE seq = ?", [seq]
    ).fetchone()
    if found is None or found[3] != SENDING:
        return None
    if body_fingerprint(json.loads(found[2])) != fingerprint:
        return None
    return found[0], found[1]


def mark_sent(db: sqlite_utils.Database, seq: int, fingerprint: str, at: str) -> bool:
    """The server holds this body: the row is sent and the record `synced`.

    Returns False, changing nothing, when the row was edited (or re-queued) since it was sent.
    """
    return seq in mark_sent_many(db, [(seq, fingerprint)], at)


def mark_sent_many(db: sqlite_utils.Database, sent: Iterable[tuple[int, str]], at: str) -> set[int]:
    """`mark_sent` for a whole push answer in one transaction; returns the seqs it marked.

    One commit (one fsync) per batch instead of one per record: on a kiosk's SD card that is
    most of the time a drain of thousands of records would otherwise take.
    """
    marked: set[int] = set()
    with db.atomic():
        for seq, fingerprint in sent:
            current = _is_current(db, seq, fingerprint)
            if current is None:
                continue
            kind, client_id = current
            db.execute(
                "UPDATE outbox SET state = ?, sent_at = ?, updated_at = ?, error_code = NULL,"
                " last_error = NULL, next_attempt_at = NULL, sending_fingerprint = NULL"
                " WHERE seq = ?",
                [SENT, at, at, seq],
            )
            # Only a queued record becomes synced: a state the server already sent back wins.
            # A survey answer has no state of its own to follow.
            if kind in TABLES:
                db.execute(
                    f"UPDATE {TABLES[kind]} SET state = 'synced', updated_at = ?"
                    " WHERE client_id = ? AND state = 'queued'",
                    [at, client_id],
                )
            marked.add(seq)
    return marked


def quarantine(
    db: sqlite_utils.Database,
    seq: int,
    *,
    code: str,
    message: Mapping[str, str] | None,
    at: str,
    fingerprint: str | None = None,
    reject_record: bool = False,
) -> bool:
    """Set the row aside with `code` and a sentence; the rows behind it go on without it.

    With `fingerprint`, only the body that was judged is quarantined (a stale verdict changes
    nothing). `reject_record` also moves a queued submission to `rejected` with the sentence as
    its note, so `kiosk status` tells the person at once.
    """
    with db.atomic():
        row = db.execute(
            "SELECT kind, client_id, state FROM outbox WHERE seq = ?", [seq]
        ).fetchone()
        if row is None or row[2] not in (PENDING, SENDING):
            return False
        if fingerprint is not None and _is_current(db, seq, fingerprint) is None:
            return False
        db.execute(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, error_code = ?, last_error = ?,"
            " next_attempt_at = NULL, sending_fingerprint = NULL, updated_at = ? WHERE seq = ?",
            [QUARANTINED, code, _message(message), at, seq],
        )
        if reject_record and row[0] == "submission":
            note = (message or {}).get("id") or code
            note_en = (message or {}).get("en")
            db.execute(
                "UPDATE submissions SET state = 'rejected', status_note = ?, status_note_en = ?,"
                " updated_at = ? WHERE client_id = ? AND state = 'queued'",
                [note, note_en, at, row[1]],
            )
    return True


def retry_later(
    db: sqlite_utils.Database,
    seqs: Iterable[int],
    *,
    code: str,
    message: Mapping[str, str] | None,
    at: str,
    next_attempt_at: str | None = None,
) -> int:
    """Back to `pending` after an attempt that may succeed later; counts the attempt."""
    with db.atomic():
        cursor = db.conn.executemany(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, error_code = ?, last_error = ?,"
            " next_attempt_at = ?, sending_fingerprint = NULL, updated_at = ?"
            " WHERE seq = ? AND state IN (?, ?)",
            [
                (PENDING, code, _message(message), next_attempt_at, at, seq, PENDING, SENDING)
                for seq in seqs
            ],
        )
    return int(cursor.rowcount)


def replace_body(
    db: sqlite_utils.Database, kind: str, client_id: str, body: Mapping[str, Any], at: str
) -> bool:
    """Queue a new version of a record: whatever answer comes for the old one will not count."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE outbox SET body = ?, state = ?, sending_fingerprint = NULL, error_code = NULL,"
            " last_error = NULL, next_attempt_at = NULL, updated_at = ?"
            " WHERE kind = ? AND client_id = ?",
            [
                json.dumps(dict(body), ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                PENDING,
                at,
                kind,
                client_id,
            ],
        )
    return cursor.rowcount == 1
