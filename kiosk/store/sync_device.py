"""The device's store as the sync engine sees it: outbox, sync state, photos, the server's changes.

These classes match sync/ports.py by shape (typing.Protocol), so the store imports nothing of the
sync engine; kiosk/bootstrap.py hands them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.errors import RuleFileError
from kiosk.store import outbox
from kiosk.store.attachments import photo_path
from kiosk.store.outbox import OutboxRow
from kiosk.store.roster import RosterEntry, upsert_entries
from kiosk.store.sync_state import (
    apply_status,
    install_rule_text,
    pull_cursor,
    record_run,
    remove_roster_entry,
    roster_entry_from_server,
    set_pull_cursor,
    sync_lock,
)


class StoreOutbox:
    """kiosk.store.outbox on one connection."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def recover_interrupted(self) -> int:
        return outbox.recover_interrupted(self.db)

    def due(self, *, after_seq: int, limit: int, now: str | None) -> list[OutboxRow]:
        return outbox.due_rows(self.db, after_seq=after_seq, limit=limit, now=now)

    def count_due(self, now: str | None) -> int:
        return outbox.count_due(self.db, now)

    def claim(self, seqs: Iterable[int], at: str) -> list[OutboxRow]:
        return outbox.claim(self.db, seqs, at)

    def mark_sent(self, sent: Iterable[tuple[int, str]], at: str) -> set[int]:
        return outbox.mark_sent_many(self.db, sent, at)

    def quarantine(
        self,
        seq: int,
        *,
        code: str,
        message: Mapping[str, str] | None,
        at: str,
        fingerprint: str | None = None,
        reject_record: bool = False,
    ) -> bool:
        return outbox.quarantine(
            self.db,
            seq,
            code=code,
            message=message,
            at=at,
            fingerprint=fingerprint,
            reject_record=reject_record,
        )

    def retry_later(
        self,
        seqs: Iterable[int],
        *,
        code: str,
        message: Mapping[str, str] | None,
        at: str,
        next_attempt_at: str | None = None,
    ) -> int:
        return outbox.retry_later(
            self.db, seqs, code=code, message=message, at=at, next_attempt_at=next_attempt_at
        )

    def pending_count(self) -> int:
        left = outbox.counts(self.db)
        return left[outbox.PENDING] + left[outbox.SENDING]

    def quarantined_count(self) -> int:
        return outbox.counts(self.db)[outbox.QUARANTINED]


class StoreSyncState:
    """The pull cursor and last run in the meta table; the lock is a file in the data folder."""

    def __init__(self, db: sqlite_utils.Database, data_dir: Path) -> None:
        self.db, self.data_dir = db, data_dir

    def pull_cursor(self) -> str | None:
        return pull_cursor(self.db)

    def record_run(self, at: str, error: Mapping[str, Any] | None) -> None:
        record_run(self.db, at, error)

    def lock(self) -> AbstractContextManager[bool]:
        return sync_lock(self.data_dir)


class StorePhotos:
    """Photos kept under the data folder by their SHA-256."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def photo_path(self, sha256: str) -> Path:
        return photo_path(self.data_dir, sha256)


class StoreChangeBatch:
    """One page's changes in the transaction its caller holds open.

    Roster rows are gathered and written together (one statement for a page of thousands);
    a removal writes the rows before it first, so a removal that follows an addition wins.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.entries: list[RosterEntry] = []

    def set_status(
        self,
        record_kind: str,
        client_id: str,
        state: str,
        *,
        note: str | None,
        note_en: str | None,
        at: str,
    ) -> bool:
        return apply_status(self.db, record_kind, client_id, state, note, at, note_en=note_en)

    def upsert_roster(self, program: str, entry: Mapping[str, Any], at: str) -> bool:
        parsed = roster_entry_from_server(program, entry, at)
        if parsed is None:
            return False
        self.entries.append(parsed)
        return True

    def remove_roster(self, program: str, nik: str) -> bool:
        self.flush()
        remove_roster_entry(self.db, program, nik)
        return True  # applied, whether or not this device held the row

    def set_cursor(self, cursor: str | None) -> None:
        set_pull_cursor(self.db, cursor)

    def flush(self) -> None:
        upsert_entries(self.db, self.entries)
        self.entries.clear()


class StoreChanges:
    """Where the server's changes land: rule files in the data folder, the rest in the database."""

    def __init__(self, db: sqlite_utils.Database, data_dir: Path) -> None:
        self.db, self.data_dir = db, data_dir

    def install_rules(self, program: str, text: str) -> bool:
        try:
            install_rule_text(self.data_dir, program, text)
        except RuleFileError:
            return False
        return True

    @contextmanager
    def batch(self) -> Iterator[StoreChangeBatch]:
        with self.db.atomic():
            batch = StoreChangeBatch(self.db)
            yield batch
            batch.flush()
