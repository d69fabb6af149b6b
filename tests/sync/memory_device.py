"""An in-memory device for the sync engine: sync/ports.py implemented with dicts and lists.

It stands in for our own interface, not for an outside system, so the engine's logic can be
checked without SQLite; the real store is checked through the same engine in test_worker.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sync.ports import Device


@dataclass(frozen=True)
class MemoryRecord:
    seq: int
    kind: str
    client_id: str
    body: dict[str, Any]
    attempts: int = 0
    state: str = "pending"
    code: str | None = None
    next_attempt_at: str | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.body, sort_keys=True).encode()).hexdigest()

    @property
    def attachments(self) -> tuple[str, ...]:
        shas = (item.get("photo_sha256") for item in self.body.get("documents") or ())
        return tuple(dict.fromkeys(sha for sha in shas if sha))

    @property
    def register_number(self) -> str | None:
        return self.body.get("register_number")


@dataclass
class MemoryOutbox:
    rows: dict[int, MemoryRecord] = field(default_factory=dict)

    def add(self, kind: str, client_id: str, body: dict[str, Any]) -> int:
        seq = len(self.rows) + 1
        self.rows[seq] = MemoryRecord(seq, kind, client_id, body)
        return seq

    def states(self) -> dict[str, str]:
        return {row.client_id: row.state for row in self.rows.values()}

    def _set(self, seq: int, **changes: Any) -> None:
        self.rows[seq] = replace(self.rows[seq], **changes)

    def recover_interrupted(self) -> int:
        sending = [seq for seq, row in self.rows.items() if row.state == "sending"]
        for seq in sending:
            self._set(seq, state="pending")
        return len(sending)

    def due(self, *, after_seq: int, limit: int, now: str | None) -> list[MemoryRecord]:
        due = [
            row
            for seq, row in sorted(self.rows.items())
            if seq > after_seq
            and row.state == "pending"
            and (now is None or row.next_attempt_at is None or row.next_attempt_at <= now)
        ]
        return due[:limit]

    def count_due(self, now: str | None) -> int:
        return len(self.due(after_seq=0, limit=len(self.rows) + 1, now=now))

    def claim(self, seqs: Iterable[int], at: str) -> list[MemoryRecord]:
        claimed = [self.rows[seq] for seq in seqs if self.rows[seq].state == "pending"]
        for row in claimed:
            self._set(row.seq, state="sending")
        return claimed

    def mark_sent(self, sent: Iterable[tuple[int, str]], at: str) -> set[int]:
        marked = set()
        for seq, fingerprint in sent:
            row = self.rows[seq]
            if row.state == "sending" and row.fingerprint == fingerprint:
                self._set(seq, state="sent", code=None)
                marked.add(seq)
        return marked

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
        row = self.rows[seq]
        if row.state not in ("pending", "sending"):
            return False
        if fingerprint is not None and row.fingerprint != fingerprint:
            return False
        self._set(seq, state="quarantined", code=code, attempts=row.attempts + 1)
        return True

    def retry_later(
        self,
        seqs: Iterable[int],
        *,
        code: str,
        message: Mapping[str, str] | None,
        at: str,
        next_attempt_at: str | None = None,
    ) -> int:
        count = 0
        for seq in seqs:
            row = self.rows[seq]
            if row.state in ("pending", "sending"):
                self._set(
                    seq,
                    state="pending",
                    code=code,
                    attempts=row.attempts + 1,
                    next_attempt_at=next_attempt_at,
                )
                count += 1
        return count

    def pending_count(self) -> int:
        return sum(row.state in ("pending", "sending") for row in self.rows.values())

    def quarantined_count(self) -> int:
        return sum(row.state == "quarantined" for row in self.rows.values())


@dataclass
class MemoryState:
    cursor: str | None = None
    runs: list[tuple[str, Mapping[str, Any] | None]] = field(default_factory=list)
    held_elsewhere: bool = False  # another process holds the lock

    def pull_cursor(self) -> str | None:
        return self.cursor

    def record_run(self, at: str, error: Mapping[str, Any] | None) -> None:
        self.runs.append((at, error))

    @contextlib.contextmanager
    def lock(self) -> Iterator[bool]:
        yield not self.held_elsewhere


@dataclass
class MemoryPhotos:
    folder: Path

    def photo_path(self, sha256: str) -> Path:
        return self.folder / f"{sha256}.jpg"


@dataclass
class MemoryChanges:
    """Applies a page to `applied` only when the whole page went through, like a transaction."""

    state: MemoryState
    statuses: dict[str, str] = field(default_factory=dict)
    roster: dict[tuple[str, str], str] = field(default_factory=dict)  # (program, nik) -> name
    rules: dict[str, str] = field(default_factory=dict)

    def install_rules(self, program: str, text: str) -> bool:
        if "program" not in text:
            return False
        self.rules[program] = text
        return True

    @contextlib.contextmanager
    def batch(self) -> Iterator[MemoryBatch]:
        batch = MemoryBatch(dict(self.statuses), dict(self.roster), self.state.cursor)
        yield batch
        self.statuses, self.roster, self.state.cursor = batch.statuses, batch.roster, batch.cursor


@dataclass
class MemoryBatch:
    statuses: dict[str, str]
    roster: dict[tuple[str, str], str]
    cursor: str | None

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
        self.statuses[client_id] = state
        return True

    def upsert_roster(self, program: str, entry: Mapping[str, Any], at: str) -> bool:
        nik, name = entry.get("nik"), entry.get("name")
        if not isinstance(nik, str) or not isinstance(name, str):
            return False
        self.roster[program, nik] = name
        return True

    def remove_roster(self, program: str, nik: str) -> bool:
        self.roster.pop((program, nik), None)
        return True

    def set_cursor(self, cursor: str | None) -> None:
        self.cursor = cursor


def memory_device(folder: Path) -> tuple[Device, MemoryOutbox, MemoryState, MemoryChanges]:
    outbox, state = MemoryOutbox(), MemoryState()
    changes = MemoryChanges(state)
    return Device(outbox, state, MemoryPhotos(folder), changes), outbox, state, changes
