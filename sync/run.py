"""What the units of one sync run share: the device, the client, the retry policy, clock and tally.

Given whole at construction (frozen), so no unit has attributes set from outside after it is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.client import SyncClient
from sync.ports import Device, QueuedRecord
from sync.report import RunTally
from sync.retry import RequestRetry

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC, to the second: stored times compare correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunContext:
    """One run's collaborators; `schedule` keeps rows not due yet out (None: every pending row)."""

    device: Device
    client: SyncClient
    retry: RequestRetry
    tally: RunTally
    clock: Clock = utc_now
    schedule: str | None = None

    def stamp(self) -> str:
        """Now, as stored: UTC to the second."""
        return iso(self.clock())

    def should_stop(self) -> bool:
        return self.retry.should_stop()

    def quarantine_locally(
        self, row: QueuedRecord, code: str, message: dict[str, str] | None = None
    ) -> None:
        """Set a record aside for a reason found on the device; the rest go on without it."""
        if self.device.outbox.quarantine(row.seq, code=code, message=message, at=self.stamp()):
            self.tally.quarantined(row, code, message)
