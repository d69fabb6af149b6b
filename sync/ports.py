"""What the sync engine needs from the device it runs on, as typing.Protocol classes.

The kiosk's store implements them (kiosk/store/sync_device.py) and the composition root hands them
in, so the engine never imports the kiosk and can be run against an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class QueuedRecord(Protocol):
    """One record in the outbox as the engine sees it; `fingerprint` names this body's version."""

    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def body(self) -> dict[str, Any]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def attachments(self) -> tuple[str, ...]: ...
    @property
    def register_number(self) -> str | None: ...


class Outbox(Protocol):
    """The queue of records waiting for the server: pending -> sending -> sent, or quarantined.

    Times are stored text (UTC to the second). A verdict given with a `fingerprint` counts only
    for that version of the body: a record edited while in flight is not marked by a stale answer.
    """

    def recover_interrupted(self) -> int: ...
    def due(self, *, after_seq: int, limit: int, now: str | None) -> Sequence[QueuedRecord]: ...
    def count_due(self, now: str | None) -> int: ...
    def claim(self, seqs: Iterable[int], at: str) -> Sequence[QueuedRecord]: ...
    def mark_sent(self, sent: Iterable[tuple[int, str]], at: str) -> set[int]: ...
    def quarantine(
        self,
        seq: int,
        *,
        code: str,
        message: Mapping[str, str] | None,
        at: str,
        fingerprint: str | None = None,
        reject_record: bool = False,
    ) -> bool: ...
    def retry_later(
        self,
        seqs: Iterable[int],
        *,
        code: str,
        message: Mapping[str, str] | None,
        at: str,
        next_attempt_at: str | None = None,
    ) -> int: ...
    def pending_count(self) -> int: ...
    def quarantined_count(self) -> int: ...


class SyncState(Protocol):
    """Where the last pull stopped, when sync last ran, and the device's one-at-a-time lock."""

    def pull_cursor(self) -> str | None: ...
    def record_run(self, at: str, error: Mapping[str, Any] | None) -> None: ...
    def lock(self) -> AbstractContextManager[bool]: ...


class PhotoSource(Protocol):
    """Where the photo with this SHA-256 lives on the device (it may be missing)."""

    def photo_path(self, sha256: str) -> Path: ...


class ChangeBatch(Protocol):
    """One page of the server's changes, applied in one transaction with its cursor."""

    def set_status(
        self,
        record_kind: str,
        client_id: str,
        state: str,
        *,
        note: str | None,
        note_en: str | None,
        at: str,
    ) -> bool: ...
    def upsert_roster(self, program: str, entry: Mapping[str, Any], at: str) -> bool: ...
    def remove_roster(self, program: str, nik: str) -> bool: ...
    def set_cursor(self, cursor: str | None) -> None: ...


class ChangeSink(Protocol):
    """Where the server's changes land; each method returns False for a change it cannot use."""

    def install_rules(self, program: str, text: str) -> bool: ...
    def batch(self) -> AbstractContextManager[ChangeBatch]: ...


@dataclass(frozen=True)
class Device:
    """Everything of the device one sync run touches, wired by the kiosk's composition root."""

    outbox: Outbox
    state: SyncState
    photos: PhotoSource
    changes: ChangeSink
