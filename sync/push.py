"""Records go to the server in batches within its advertised limits, and each answer is kept.

Rows are claimed, sent and marked in separate transactions; the server answers `duplicate` for
what it already holds, so a run cut anywhere resends safely. A rejection is quarantined, never retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sync.errors import RequestRefused, SyncError
from sync.ports import QueuedRecord
from sync.protocol import (
    ErrorCode,
    Limits,
    OutboxRecord,
    RecordKind,
    RecordResult,
    RecordStatus,
    canonical_json,
)
from sync.run import RunContext, iso

NO_RESULT = "no_result"  # the device's code for a record the server's answer left out
# Refusals of a whole push that one record may have caused: halve the batch to find it.
_BISECT = frozenset(
    {
        ErrorCode.BODY_TOO_LARGE,
        ErrorCode.BATCH_TOO_LARGE,
        ErrorCode.MALFORMED_REQUEST,
        ErrorCode.INVALID_RECORD,
    }
)
_PUSH_OVERHEAD = 64  # bytes of PushRequest around its records
_STATUS_CODES = {
    RecordStatus.CONFLICT: ErrorCode.CONFLICT,
    RecordStatus.REJECTED: ErrorCode.INVALID_RECORD,
}


@dataclass(frozen=True)
class RecordPusher:
    """Pushes every due record; `compact`: the server leaves accepted records out of its answer."""

    run: RunContext
    limits: Limits
    compact: bool = False
    claimed: set[int] = field(default_factory=set)  # sent and not answered yet

    def push_all(self) -> None:
        after = 0
        self.run.tally.publish("records")
        while not self.run.should_stop():
            rows = self.run.device.outbox.due(
                after_seq=after, limit=self.limits.max_batch_records, now=self.run.schedule
            )
            if not rows:
                return
            batch, after = self.fit(rows)
            if batch:
                self.push(batch)
            self.run.tally.publish("records")

    def release_claimed(self, error: SyncError) -> None:
        """Rows in flight when the run failed go back to the queue, due at once."""
        if self.claimed:
            self.run.device.outbox.retry_later(
                set(self.claimed), code=error.code, message=None, at=self.run.stamp()
            )
            self.claimed.clear()

    def fit(self, rows: Sequence[QueuedRecord]) -> tuple[list[QueuedRecord], int]:
        """The longest run of rows that fits in one request, and the last seq it dealt with."""
        limits = self.limits
        batch: list[QueuedRecord] = []
        size = _PUSH_OVERHEAD
        client_ids: set[str] = set()
        last = rows[0].seq - 1
        for row in rows:
            if row.kind not in limits.record_kinds:
                # An older server that does not take this kind: the row waits, unharmed, for
                # the server's upgrade rather than being refused there.
                last = row.seq
                continue
            record_size = len(canonical_json(wire_record(row).model_dump(mode="json"))) + 1
            if record_size + _PUSH_OVERHEAD > limits.max_body_bytes:
                self.run.quarantine_locally(row, ErrorCode.BODY_TOO_LARGE.value)
                last = row.seq
                continue
            if batch and (
                size + record_size > limits.max_body_bytes or row.client_id in client_ids
            ):
                break
            batch.append(row)
            client_ids.add(row.client_id)
            size += record_size
            last = row.seq
        return batch, last

    def push(self, rows: Sequence[QueuedRecord]) -> None:
        outbox, report = self.run.device.outbox, self.run.tally.report
        claimed = list(outbox.claim([row.seq for row in rows], self.run.stamp()))
        if not claimed:
            return
        self.claimed.update(row.seq for row in claimed)
        records = [wire_record(row) for row in claimed]
        try:
            response = self.run.retry.call(
                lambda: self.run.client.push(records, compact=self.compact)
            )
        except RequestRefused as exc:
            if exc.error_code not in _BISECT:
                raise
            self._refused(claimed, exc)
            return
        results = {result.client_id: result for result in response.results}
        if self.compact:  # a record left out of a compact answer was accepted
            accepted = RecordResult(client_id="", status=RecordStatus.ACCEPTED)
            results = {row.client_id: results.get(row.client_id, accepted) for row in claimed}
        at = self.run.stamp()
        succeeded = [
            row
            for row in claimed
            if (result := results.get(row.client_id)) is not None and result.status.is_success
        ]
        marked = outbox.mark_sent([(row.seq, row.fingerprint) for row in succeeded], at)
        for row in succeeded:
            self.claimed.discard(row.seq)
            if row.seq in marked:
                report.sent += 1
                report.duplicates += results[row.client_id].status == RecordStatus.DUPLICATE
            else:
                report.stale += 1
            self.run.tally.records_done += 1
        for row in claimed:
            result = results.get(row.client_id)
            if result is not None and result.status.is_success:
                continue
            self.claimed.discard(row.seq)
            if result is None:
                self._retry(row, NO_RESULT, None, at)
            elif result.status == RecordStatus.RETRY:
                code = (result.code or ErrorCode.OVERLOADED).value
                self._retry(row, code, _text(result.message), at)
            else:
                code = (result.code or _STATUS_CODES[result.status]).value
                message = _text(result.message, result.field)
                reject = result.status == RecordStatus.REJECTED
                self._judged(row, code, message, at, reject=reject)

    def _judged(
        self,
        row: QueuedRecord,
        code: str,
        message: dict[str, str] | None,
        at: str,
        *,
        reject: bool,
    ) -> None:
        """The server's verdict on this very version of the record: set it aside with the reason."""
        if self.run.device.outbox.quarantine(
            row.seq,
            code=code,
            message=message,
            at=at,
            fingerprint=row.fingerprint,
            reject_record=reject,
        ):
            self.run.tally.quarantined(row, code, message)
        else:
            self.run.tally.report.stale += 1

    def _refused(self, claimed: list[QueuedRecord], exc: RequestRefused) -> None:
        """A whole push refused: halve it until the one record to blame stands alone."""
        at = self.run.stamp()
        if len(claimed) == 1:
            (row,) = claimed
            self.claimed.discard(row.seq)
            reject = exc.error_code == ErrorCode.INVALID_RECORD
            message = exc.message or None
            if self.run.device.outbox.quarantine(
                row.seq,
                code=exc.error_code,
                message=message,
                at=at,
                fingerprint=row.fingerprint,
                reject_record=reject,
            ):
                self.run.tally.quarantined(row, exc.error_code, message)
            return
        self.run.device.outbox.retry_later(
            [row.seq for row in claimed], code=exc.error_code, message=None, at=at
        )
        self.claimed.difference_update(row.seq for row in claimed)
        middle = len(claimed) // 2
        for half in (claimed[:middle], claimed[middle:]):
            self.push(half)

    def _retry(self, row: QueuedRecord, code: str, message: dict[str, str] | None, at: str) -> None:
        """The server asked for this record again later: it waits its own backoff, not the run."""
        wait = self.run.retry.policy.record.delay(row.attempts, self.run.retry.draw)
        due = iso(self.run.clock() + timedelta(seconds=wait))
        self.run.device.outbox.retry_later(
            [row.seq], code=code, message=message, at=at, next_attempt_at=due
        )
        self.run.tally.report.retry_later += 1


def wire_record(row: QueuedRecord) -> OutboxRecord:
    """A queued record as the protocol sends it."""
    return OutboxRecord(
        client_id=row.client_id,
        kind=cast(RecordKind, row.kind),
        body=row.body,
        attachments=row.attachments,
    )


def _text(message: Any, field_name: str | None = None) -> dict[str, str] | None:
    """The server's sentence in both languages, with the field it is about when it named one."""
    if message is None:
        return None
    text = {"id": message.id, "en": message.en}
    if field_name:
        text["field"] = field_name
    return text
