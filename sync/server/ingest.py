"""Taking in a batch of outbox records: one row per client id, whatever the network does.

One algorithm for every kind (submissions, complaints, survey answers); what differs, the table,
what is compared and the answers, is in ingest_kinds.py. Per client id:

- already stored: an identical resend is a `duplicate` (success), other content a `conflict` a
  person must look at;
- sent more than once in this batch: identical copies are one record (stored once, the first
  copy answered as the record is, the others `duplicate`); copies that differ are all answered
  `conflict` and none is stored. The server cannot tell which content is right, and a device
  that made two versions of one record has gone wrong: guessing would store the wrong one with a
  success the device trusts, while refusing both leaves nothing wrong on the server and puts the
  record in front of a person, as any other conflict does;
- otherwise: a record that fails re-validation is `rejected` (it never blocks the ones behind
  it), one whose photos are not all here `retry`, one whose register number the device may not
  use, or that another record holds, `rejected` (numbering.py), else it is inserted.

A batch costs a fixed number of round trips, not two per record: one SELECT of the ids already
stored, one INSERT ... ON CONFLICT DO NOTHING RETURNING and one audit INSERT per kind, each sent
as multi-row VALUES. Ids the insert skipped were stored by another process meanwhile; they are
read back and compared, so two processes pushing the same record at once still make one row.
Rows are inserted in client-id order, so two batches that share records take their row locks in
the same order and never deadlock.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from kiosk.domain.complaints import DEFAULT_CLOCK_TOLERANCE, ClockTolerance
from sync.protocol import ErrorCode, OutboxRecord, RecordResult, RecordStatus
from sync.server import audit, numbering, uploads
from sync.server.attachments import BlobStore
from sync.server.devices import Device
from sync.server.errors import Nested, localised
from sync.server.ingest_kinds import Arrival, Stored, StoredKind, kind_of
from sync.server.storage import Database
from sync.server.validation import Rejection, RuleSource, validate

log = logging.getLogger("lengkap.server.ingest")


def push_records(
    database: Database,
    device: Device,
    batch: Sequence[OutboxRecord],
    rules: RuleSource,
    *,
    now: datetime,
    store: BlobStore | None = None,
    clock_tolerance: ClockTolerance = DEFAULT_CLOCK_TOLERANCE,
) -> list[RecordResult]:
    """Results in the batch's order, one per record.

    With `store`, a photo the registry lists but the store no longer holds counts as missing,
    so the device uploads it again instead of the record pointing at nothing.
    """
    arrivals = [
        Arrival(index, record, record.fingerprint, validate(record, rules, now, clock_tolerance))
        for index, record in enumerate(batch)
    ]
    # Client-id order everywhere: the row locks of two overlapping batches never cross.
    arrivals.sort(key=lambda arrival: (arrival.client_id, arrival.index))
    by_kind: dict[StoredKind, list[Arrival]] = {}
    for arrival in arrivals:
        by_kind.setdefault(kind_of(arrival.record), []).append(arrival)
    results: dict[int, RecordResult] = {}
    with database.write() as connection:
        for kind, some in by_kind.items():
            results.update(_take(database, connection, device, kind, some, now, store))
        audit.append_many(
            connection,
            [
                {
                    "at": now,
                    "device_id": device.id,
                    "action": "push",
                    "client_id": arrival.client_id,
                    "fingerprint": arrival.fingerprint,
                    "outcome": results[arrival.index].status.value,
                    "code": _audit_code(results[arrival.index]),
                }
                for arrival in arrivals
            ],
        )
    ordered = [results[index] for index in range(len(batch))]
    counts = Counter(result.status.value for result in ordered)
    log.info("push device=%s records=%d %s", device.device_code, len(batch), dict(counts))
    return ordered


def _audit_code(result: RecordResult) -> str | None:
    return result.reason or (result.code.value if result.code else None)


def _take(
    database: Database,
    connection: Connection,
    device: Device,
    kind: StoredKind,
    arrivals: Sequence[Arrival],
    now: datetime,
    store: BlobStore | None,
) -> dict[int, RecordResult]:
    """The results of `arrivals` (all of `kind`, in client-id order), storing what is new."""
    copies: dict[str, list[Arrival]] = {}
    for arrival in arrivals:
        copies.setdefault(arrival.client_id, []).append(arrival)
    referenced = {sha for arrival in arrivals for sha in kind.photos(arrival)}
    present = uploads.stored(connection, referenced, store) if referenced else set()
    stored = kind.read(connection, copies)
    results: dict[int, RecordResult] = {}
    planned: list[Arrival] = []  # the one copy of each client id to insert
    waiting: list[Arrival] = []  # valid, but waiting for their photos
    for client_id, same_id in copies.items():
        if client_id in stored:
            for arrival in same_id:
                results[arrival.index] = _compare(kind, stored[client_id], arrival, device)
            continue
        first = same_id[0]
        if any(kind.identity(other) != kind.identity(first) for other in same_id[1:]):
            for arrival in same_id:
                results[arrival.index] = _differing_copies(arrival)
            continue
        refused = _refused(kind, first, present)
        if refused is not None:
            for arrival in same_id:  # identical copies, so the same answer
                results[arrival.index] = refused
            if refused.status is RecordStatus.RETRY:
                waiting.append(first)
            continue
        planned.append(first)
    screened: dict[str, Rejection] = {}
    if planned or waiting:
        screened = kind.screen(database, connection, device, planned, waiting, now)
    for first in planned:
        if first.client_id in screened:
            for arrival in copies[first.client_id]:
                results[arrival.index] = _rejected(arrival.client_id, screened[first.client_id])
    planned = [first for first in planned if first.client_id not in screened]
    if not planned:
        return results
    inserted = _insert_ignoring_duplicates(database, connection, kind, planned, device, now)
    raced = [arrival.client_id for arrival in planned if arrival.client_id not in inserted]
    # Another process stored these ids between our SELECT and our INSERT: compare with theirs.
    # An id nobody stored was skipped for its register number, taken by a push meanwhile.
    stored_by_others = kind.read(connection, raced) if raced else {}
    for first in planned:
        for arrival in copies[first.client_id]:
            if first.client_id in stored_by_others:
                theirs = stored_by_others[first.client_id]
                results[arrival.index] = _compare(kind, theirs, arrival, device)
            elif first.client_id in raced:
                results[arrival.index] = _rejected(arrival.client_id, numbering.TAKEN)
            elif arrival is first:
                results[arrival.index] = kind.accepted(arrival)
            else:
                results[arrival.index] = _duplicate(arrival, arrival.register_number)
    return results


def _refused(kind: StoredKind, arrival: Arrival, present: set[str]) -> RecordResult | None:
    """`rejected` or `retry` for a record that cannot be stored now; None if it can."""
    checked = arrival.checked
    if isinstance(checked, Rejection):
        return _rejected(arrival.client_id, checked)
    missing = tuple(sorted(kind.photos(arrival) - present))
    if missing:
        return RecordResult(
            client_id=arrival.client_id,
            status=RecordStatus.RETRY,
            code=ErrorCode.MISSING_ATTACHMENTS,
            message=localised("server.result.retry", count=len(missing)),
            register_number=arrival.register_number,
            missing_attachments=missing,
        )
    return None


def _compare(kind: StoredKind, existing: Stored, arrival: Arrival, device: Device) -> RecordResult:
    if existing.identity == kind.identity(arrival):
        return _duplicate(arrival, existing.register_number)
    return RecordResult(
        client_id=arrival.client_id,
        status=RecordStatus.CONFLICT,
        code=ErrorCode.CONFLICT,
        message=kind.conflict(existing, device),
        # Another device's number is its business: the answer names only what this one stored.
        register_number=existing.register_number if existing.device_id == device.id else None,
    )


def _duplicate(arrival: Arrival, register_number: str | None) -> RecordResult:
    return RecordResult(
        client_id=arrival.client_id,
        status=RecordStatus.DUPLICATE,
        register_number=register_number,
    )


def _differing_copies(arrival: Arrival) -> RecordResult:
    """One of several copies of a client id in one batch whose contents differ."""
    return RecordResult(
        client_id=arrival.client_id,
        status=RecordStatus.CONFLICT,
        code=ErrorCode.CONFLICT,
        message=localised("server.result.batch_conflict"),
        register_number=arrival.register_number,
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


def _insert_ignoring_duplicates(
    database: Database,
    connection: Connection,
    kind: StoredKind,
    planned: Sequence[Arrival],
    device: Device,
    now: datetime,
) -> set[str]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING for all `planned`; the client ids it stored.

    An executemany with RETURNING, which SQLAlchemy sends as multi-row INSERTs in the rows'
    order ("insertmanyvalues") from one cached compilation, instead of compiling a statement
    for every batch size.
    """
    rows: list[dict[str, Any]] = sorted(
        (kind.row(arrival, device, now) for arrival in planned),
        key=lambda row: str(row["client_id"]),
    )
    statement = database.insert_ignoring_duplicates(kind.table).returning(kind.table.c.client_id)
    return set(connection.execute(statement, rows).scalars())
