"""What a sync run did and where it stands: the report kept at the end, progress published on the way.

The tally is shared by the run's units (uploads run on pool threads), so it is changed under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.errors import SyncError
from sync.ports import QueuedRecord


@dataclass(frozen=True)
class SyncProgress:
    """Where a run stands, for a progress bar: records and bytes, done and total."""

    phase: str  # "attachments", "records" or "changes"
    records_done: int
    records_total: int
    bytes_done: int
    bytes_total: int
    changes_applied: int = 0


ProgressCallback = Callable[[SyncProgress], None]


@dataclass(frozen=True)
class QuarantinedRecord:
    kind: str
    client_id: str
    register_number: str | None
    code: str
    message: dict[str, str] | None


@dataclass
class SyncReport:
    """What one run did and what is left; `error` is why it stopped early, if it did."""

    started_at: str
    finished_at: str = ""
    sent: int = 0  # accepted or duplicate: the server holds them
    duplicates: int = 0
    retry_later: int = 0
    stale: int = 0  # edited while in flight: will go again
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    attachments_uploaded: int = 0
    bytes_uploaded: int = 0
    changes_applied: int = 0
    changes_skipped: int = 0
    pending: int = 0
    quarantined_total: int = 0
    error: SyncError | None = None

    @property
    def is_complete(self) -> bool:
        """Everything this device holds is on the server and nothing failed."""
        return self.error is None and self.pending == 0 and self.quarantined_total == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "complete": self.is_complete,
            "sent": self.sent,
            "duplicates": self.duplicates,
            "retry_later": self.retry_later,
            "stale": self.stale,
            "quarantined": [vars(item) for item in self.quarantined],
            "attachments_uploaded": self.attachments_uploaded,
            "bytes_uploaded": self.bytes_uploaded,
            "changes_applied": self.changes_applied,
            "changes_skipped": self.changes_skipped,
            "pending": self.pending,
            "quarantined_total": self.quarantined_total,
            "error": error_summary(self.error),
        }


def error_summary(error: SyncError | None) -> dict[str, Any] | None:
    """The error as a code and parameters: what is stored and shown, never a body or secret."""
    if error is None:
        return None
    return {"code": error.code, "params": dict(error.params), "retryable": error.retryable}


class RunTally:
    """One run's report and progress figures; every change publishes where the run stands."""

    def __init__(self, report: SyncReport, on_progress: ProgressCallback | None = None) -> None:
        self.report = report
        self._on_progress = on_progress
        self._lock = threading.Lock()  # held while publishing too: figures never go backwards
        self.records_total = self.records_done = 0
        self.bytes_total = self.bytes_done = 0

    def publish(self, phase: str) -> None:
        with self._lock:
            self._publish(phase)

    def add_bytes(self, count: int, phase: str | None = "attachments") -> None:
        with self._lock:
            self.bytes_done += count
            if phase:
                self._publish(phase)

    def quarantined(self, row: QueuedRecord, code: str, message: dict[str, str] | None) -> None:
        self.report.quarantined.append(
            QuarantinedRecord(row.kind, row.client_id, row.register_number, code, message)
        )
        self.records_done += 1

    def _publish(self, phase: str) -> None:
        if self._on_progress:
            self._on_progress(
                SyncProgress(
                    phase=phase,
                    records_done=self.records_done,
                    records_total=self.records_total,
                    bytes_done=self.bytes_done,
                    bytes_total=self.bytes_total,
                    changes_applied=self.report.changes_applied,
                )
            )
