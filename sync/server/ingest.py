"""Taking in a batch of outbox records: one row per client id, whatever the network does.

Per record: an identical resend is a `duplicate` (success), the same id with other content a
`conflict` a person must look at, a record that fails re-validation `rejected` (it never blocks
the ones behind it), one whose photos are not all here `retry`. Inserts are INSERT ... ON CONFLICT
DO NOTHING on the unique client id, then a fingerprint comparison: two processes pushing the same
record at once still make one row. Records are written in client-id order, so two batches that
share records take their row locks in the same order and never deadlock.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from sync.protocol import ErrorCode, LocalisedText, OutboxRecord, RecordResult, RecordStatus
from sync.server import audit, uploads
from sync.server.devices import Device
from sync.server.errors import Nested, localised
from sync.server.storage import Database, devices, dumps, records
from sync.server.validation import CheckedRecord, Rejection, RuleSource, validate

log = logging.getLogger("lengkap.server.ingest")
INITIAL_STATE = "synced"  # what the device shows once the server has a record


@dataclass(frozen=True)
class _Arrival:
    index: int
    record: OutboxRecord
    fingerprint: str
    checked: CheckedRecord | Rejection


def push_records(
    database: Database,
    device: Device,
    batch: Sequence[OutboxRecord],
    rules: RuleSource,
    *,
    now: datetime,
) -> list[RecordResult]:
    """Results in the batch's order, one per record."""
    arrivals = [
        _Arrival(index, record, record.fingerprint, validate(record, rules, now.date()))
        for index, record in enumerate(batch)
    ]
    results: dict[int, RecordResult] = {}
    events: list[dict[str, object]] = []
    with database.write() as connection:
        referenced = {
            sha
            for arrival in arrivals
            if isinstance(arrival.checked, CheckedRecord)
            for sha in arrival.checked.attachments
        }
        present = uploads.stored(connection, referenced)
        for arrival in sorted(arrivals, key=lambda a: (a.record.client_id, a.index)):
            result = _take(database, connection, device, arrival, present, now)
            results[arrival.index] = result
            events.append(
                {
                    "at": now,
                    "device_id": device.id,
                    "action": "push",
                    "client_id": arrival.record.client_id,
                    "fingerprint": arrival.fingerprint,
                    "outcome": result.status.value,
                    "code": result.reason or (result.code.value if result.code else None),
                }
            )
        audit.append_many(connection, events)
    ordered = [results[index] for index in range(len(batch))]
    counts = Counter(result.status.value for result in ordered)
    log.info("push device=%s records=%d %s", device.device_code, len(batch), dict(counts))
    return ordered


def _take(
    database: Database,
    connection: Connection,
    device: Device,
    arrival: _Arrival,
    present: set[str],
    now: datetime,
) -> RecordResult:
    record = arrival.record
    existing = _existing(connection, record.client_id)
    if existing is not None:
        return _compare(existing, arrival)
    checked = arrival.checked
    if isinstance(checked, Rejection):
        return _rejected(record.client_id, checked)
    missing = tuple(sorted(checked.attachments - present))
    if missing:
        return RecordResult(
            client_id=record.client_id,
            status=RecordStatus.RETRY,
            code=ErrorCode.MISSING_ATTACHMENTS,
            message=localised("server.result.retry", count=len(missing)),
            register_number=checked.register_number,
            missing_attachments=missing,
        )
    inserted = connection.execute(
        database.insert_ignoring_duplicates(records)
        .values(
            client_id=record.client_id,
            kind=record.kind,
            device_id=device.id,
            register_number=checked.register_number,
            program=checked.program,
            fingerprint=arrival.fingerprint,
            body=dumps(record.body),
            attachments=dumps(sorted(checked.attachments)),
            state=INITIAL_STATE,
            device_verdict=dumps(checked.device_verdict) if checked.device_verdict else None,
            server_verdict=dumps(checked.server_verdict),
            verdicts_agree=checked.agrees,
            rules_version=checked.rules_version,
            received_at=now,
            updated_at=now,
        )
        .returning(records.c.id)
    ).first()
    if inserted is None:
        # Another process inserted this client id between our look and our insert.
        raced = _existing(connection, record.client_id)
        assert raced is not None
        return _compare(raced, arrival)
    return RecordResult(
        client_id=record.client_id,
        status=RecordStatus.ACCEPTED,
        message=_accepted_message(checked),
        register_number=checked.register_number,
    )


def _accepted_message(checked: CheckedRecord) -> LocalisedText:
    verdict = checked.server_verdict
    if checked.agrees or "missing_documents" not in verdict:
        return localised("server.result.accepted")
    missing = ", ".join(verdict["missing_documents"])
    if not missing:
        return localised("server.result.accepted_complete")
    return localised("server.result.accepted_incomplete", documents=missing)


def _existing(connection: Connection, client_id: str) -> RowMapping | None:
    return (
        connection.execute(
            select(
                records.c.fingerprint,
                records.c.register_number,
                records.c.received_at,
                devices.c.device_code,
            )
            .join(devices, devices.c.id == records.c.device_id)
            .where(records.c.client_id == client_id)
        )
        .mappings()
        .first()
    )


def _compare(existing: RowMapping, arrival: _Arrival) -> RecordResult:
    client_id = arrival.record.client_id
    if existing["fingerprint"] == arrival.fingerprint:
        return RecordResult(
            client_id=client_id,
            status=RecordStatus.DUPLICATE,
            message=localised("server.result.duplicate"),
            register_number=existing["register_number"],
        )
    return RecordResult(
        client_id=client_id,
        status=RecordStatus.CONFLICT,
        code=ErrorCode.CONFLICT,
        message=localised(
            "server.result.conflict",
            register_number=existing["register_number"],
            device=existing["device_code"],
            received_at=existing["received_at"].strftime("%Y-%m-%d %H:%M UTC"),
        ),
        register_number=existing["register_number"],
    )


def _rejected(client_id: str, rejection: Rejection) -> RecordResult:
    return RecordResult(
        client_id=client_id,
        status=RecordStatus.REJECTED,
        code=ErrorCode.INVALID_RECORD,
        message=localised(
            "server.result.rejected",
            field=rejection.field,
            reason=Nested(rejection.reason, rejection.params),
        ),
        reason=rejection.reason,
        field=rejection.field,
    )
