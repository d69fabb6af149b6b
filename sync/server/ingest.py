"""Taking in a batch of outbox records: one row per client id, whatever the network does.

Per record: an identical resend is a `duplicate` (success), the same id with other content a
`conflict` a person must look at, a record that fails re-validation `rejected` (it never blocks
the ones behind it), one whose photos are not all here `retry`. A batch costs a fixed number of
round trips, not two per record: one SELECT of the ids already stored, one INSERT ... ON CONFLICT
DO NOTHING RETURNING and one audit INSERT, each sent as multi-row VALUES. Ids the insert skipped
were stored by another process meanwhile; they are read back and compared, so two processes
pushing the same record at once still make one row. Rows are inserted in client-id order, so two
batches that share records take their row locks in the same order and never deadlock.

Survey answers (kind "survey") take the same path into their own table; they carry no personal
data and no photos, and the answer stores the device's area for the staff console's monitoring.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from sync.protocol import ErrorCode, LocalisedText, OutboxRecord, RecordResult, RecordStatus
from sync.server import audit, uploads
from sync.server.attachments import BlobStore
from sync.server.devices import Device
from sync.server.errors import Nested, localised
from sync.server.storage import Database, devices, dumps, records, survey_answers
from sync.server.validation import CheckedRecord, CheckedSurvey, Rejection, RuleSource, validate

log = logging.getLogger("lengkap.server.ingest")
INITIAL_STATE = "synced"  # what the device shows once the server has a record
_SELECT_SLICE = 500  # ids per IN (...): far below every database's parameter limit


@dataclass(frozen=True)
class _Arrival:
    index: int
    record: OutboxRecord
    fingerprint: str
    checked: CheckedRecord | CheckedSurvey | Rejection

    @property
    def client_id(self) -> str:
        return self.record.client_id


@dataclass(frozen=True)
class _Stored:
    """What a comparison needs of a stored row: equal `identity` means an identical resend."""

    identity: Any
    register_number: str | None = None
    device_code: str | None = None
    received_at: datetime | None = None


def push_records(
    database: Database,
    device: Device,
    batch: Sequence[OutboxRecord],
    rules: RuleSource,
    *,
    now: datetime,
    store: BlobStore | None = None,
) -> list[RecordResult]:
    """Results in the batch's order, one per record.

    With `store`, a photo the registry lists but the store no longer holds counts as missing,
    so the device uploads it again instead of the record pointing at nothing.
    """
    arrivals = [
        _Arrival(index, record, record.fingerprint, validate(record, rules, now.date()))
        for index, record in enumerate(batch)
    ]
    # Client-id order everywhere: the row locks of two overlapping batches never cross.
    arrivals.sort(key=lambda arrival: (arrival.client_id, arrival.index))
    surveys = [a for a in arrivals if a.record.kind == "survey"]
    others = [a for a in arrivals if a.record.kind != "survey"]
    results: dict[int, RecordResult] = {}
    with database.write() as connection:
        if others:
            results.update(_take_records(database, connection, device, others, now, store))
        if surveys:
            results.update(_take_surveys(database, connection, device, surveys, now))
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


# -- submissions and complaints ------------------------------------------------------------------


def _take_records(
    database: Database,
    connection: Connection,
    device: Device,
    arrivals: Sequence[_Arrival],
    now: datetime,
    store: BlobStore | None,
) -> dict[int, RecordResult]:
    referenced = {
        sha
        for arrival in arrivals
        if isinstance(arrival.checked, CheckedRecord)
        for sha in arrival.checked.attachments
    }
    present = uploads.stored(connection, referenced, store)
    stored = _stored_records(connection, [a.client_id for a in arrivals])
    results: dict[int, RecordResult] = {}
    planned: dict[str, _Arrival] = {}  # first insertable arrival of each client id
    for arrival in arrivals:
        decided = _decide(arrival, stored, planned, present)
        if decided is not None:
            results[arrival.index] = decided
    if planned:
        rows = [_record_row(arrival, device, now) for arrival in planned.values()]
        inserted = _insert_ignoring_duplicates(database, connection, records, rows)
        raced = [client_id for client_id in planned if client_id not in inserted]
        # Another process stored these ids between our SELECT and our INSERT: compare with theirs.
        stored_by_others = _stored_records(connection, raced) if raced else {}
        for arrival in arrivals:
            if arrival.index in results:
                continue
            winner = planned[arrival.client_id]
            if arrival.client_id in stored_by_others:
                results[arrival.index] = _compare(stored_by_others[arrival.client_id], arrival)
            elif arrival is winner:
                results[arrival.index] = _accepted(arrival)
            else:
                results[arrival.index] = _compare(_planned_as_stored(winner, device, now), arrival)
    return results


def _decide(
    arrival: _Arrival,
    stored: dict[str, _Stored],
    planned: dict[str, _Arrival],
    present: set[str],
) -> RecordResult | None:
    """The result known before inserting, or None for a record to insert (or compare with one)."""
    client_id = arrival.client_id
    if client_id in stored:
        return _compare(stored[client_id], arrival)
    if client_id in planned:
        return None  # a second copy in the same batch: compared once the first is stored
    checked = arrival.checked
    if isinstance(checked, Rejection):
        return _rejected(client_id, checked)
    assert isinstance(checked, CheckedRecord)
    missing = tuple(sorted(checked.attachments - present))
    if missing:
        return RecordResult(
            client_id=client_id,
            status=RecordStatus.RETRY,
            code=ErrorCode.MISSING_ATTACHMENTS,
            message=localised("server.result.retry", count=len(missing)),
            register_number=checked.register_number,
            missing_attachments=missing,
        )
    planned[client_id] = arrival
    return None


def _record_row(arrival: _Arrival, device: Device, now: datetime) -> dict[str, Any]:
    checked = arrival.checked
    assert isinstance(checked, CheckedRecord)
    record = arrival.record
    return {
        "client_id": record.client_id,
        "kind": record.kind,
        "device_id": device.id,
        "register_number": checked.register_number,
        "program": checked.program,
        "fingerprint": arrival.fingerprint,
        "body": dumps(record.body),
        "attachments": dumps(sorted(checked.attachments)),
        "state": INITIAL_STATE,
        "device_verdict": dumps(checked.device_verdict) if checked.device_verdict else None,
        "server_verdict": dumps(checked.server_verdict),
        "verdicts_agree": checked.agrees,
        "rules_version": checked.rules_version,
        "received_at": now,
        "updated_at": now,
    }


def _stored_records(connection: Connection, client_ids: Iterable[str]) -> dict[str, _Stored]:
    found: dict[str, _Stored] = {}
    for part in _slices(sorted(set(client_ids))):
        rows = connection.execute(
            select(
                records.c.client_id,
                records.c.fingerprint,
                records.c.register_number,
                records.c.received_at,
                devices.c.device_code,
            )
            .join(devices, devices.c.id == records.c.device_id)
            .where(records.c.client_id.in_(part))
        ).mappings()
        for row in rows:
            found[row["client_id"]] = _Stored(
                identity=row["fingerprint"],
                register_number=row["register_number"],
                device_code=row["device_code"],
                received_at=row["received_at"],
            )
    return found


def _planned_as_stored(arrival: _Arrival, device: Device, now: datetime) -> _Stored:
    checked = arrival.checked
    register_number = checked.register_number if isinstance(checked, CheckedRecord) else None
    return _Stored(arrival.fingerprint, register_number, device.device_code, now)


def _accepted(arrival: _Arrival) -> RecordResult:
    # Success carries no sentence: the device shows nothing for it, and it is most of the bytes
    # of an answer. Only when the server's verdict differs is there something to tell a person.
    checked = arrival.checked
    assert isinstance(checked, CheckedRecord)
    return RecordResult(
        client_id=arrival.client_id,
        status=RecordStatus.ACCEPTED,
        message=_disagreement(checked),
        register_number=checked.register_number,
    )


def _disagreement(checked: CheckedRecord) -> LocalisedText | None:
    verdict = checked.server_verdict
    if checked.agrees or "missing_documents" not in verdict:
        return None
    missing = ", ".join(verdict["missing_documents"])
    if not missing:
        return localised("server.result.accepted_complete")
    return localised("server.result.accepted_incomplete", documents=missing)


def _compare(existing: _Stored, arrival: _Arrival) -> RecordResult:
    client_id = arrival.client_id
    identity = arrival.fingerprint if arrival.record.kind != "survey" else _survey_identity(arrival)
    if existing.identity == identity:
        return RecordResult(
            client_id=client_id,
            status=RecordStatus.DUPLICATE,
            register_number=existing.register_number,
        )
    if arrival.record.kind == "survey":
        message = localised("server.result.survey_conflict")
    else:
        assert existing.received_at is not None
        message = localised(
            "server.result.conflict",
            register_number=existing.register_number,
            device=existing.device_code,
            received_at=existing.received_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    return RecordResult(
        client_id=client_id,
        status=RecordStatus.CONFLICT,
        code=ErrorCode.CONFLICT,
        message=message,
        register_number=existing.register_number,
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


# -- survey answers ------------------------------------------------------------------------------


def _take_surveys(
    database: Database,
    connection: Connection,
    device: Device,
    arrivals: Sequence[_Arrival],
    now: datetime,
) -> dict[int, RecordResult]:
    stored = _stored_surveys(connection, [a.client_id for a in arrivals])
    results: dict[int, RecordResult] = {}
    planned: dict[str, _Arrival] = {}
    for arrival in arrivals:
        if arrival.client_id in stored:
            results[arrival.index] = _compare(stored[arrival.client_id], arrival)
        elif isinstance(arrival.checked, Rejection):
            results[arrival.index] = _rejected(arrival.client_id, arrival.checked)
        elif arrival.client_id not in planned:
            planned[arrival.client_id] = arrival
    if not planned:
        return results
    rows = [_survey_row(arrival, device, now) for arrival in planned.values()]
    inserted = _insert_ignoring_duplicates(database, connection, survey_answers, rows)
    raced = [client_id for client_id in planned if client_id not in inserted]
    stored_by_others = _stored_surveys(connection, raced) if raced else {}
    for arrival in arrivals:
        if arrival.index in results:
            continue
        if arrival.client_id in stored_by_others:
            results[arrival.index] = _compare(stored_by_others[arrival.client_id], arrival)
        elif arrival is planned[arrival.client_id]:
            results[arrival.index] = RecordResult(
                client_id=arrival.client_id, status=RecordStatus.ACCEPTED
            )
        else:
            winner = _Stored(_survey_identity(planned[arrival.client_id]))
            results[arrival.index] = _compare(winner, arrival)
    return results


def _survey_row(arrival: _Arrival, device: Device, now: datetime) -> dict[str, Any]:
    checked = arrival.checked
    assert isinstance(checked, CheckedSurvey)
    return {
        "client_id": arrival.client_id,
        "device_id": device.id,
        "area": device.area,
        "score": checked.score,
        "flow": checked.flow,
        "language": checked.language,
        "answered_at": checked.answered_at,
        "received_at": now,
    }


def _survey_identity(arrival: _Arrival) -> Any:
    """The stored columns a resend must match; the table keeps no fingerprint of the body."""
    checked = arrival.checked
    if not isinstance(checked, CheckedSurvey):
        return arrival.fingerprint  # a refused body never equals a stored answer
    return (checked.score, checked.flow, checked.language, checked.answered_at)


def _stored_surveys(connection: Connection, client_ids: Iterable[str]) -> dict[str, _Stored]:
    found: dict[str, _Stored] = {}
    for part in _slices(sorted(set(client_ids))):
        rows = connection.execute(
            select(
                survey_answers.c.client_id,
                survey_answers.c.score,
                survey_answers.c.flow,
                survey_answers.c.language,
                survey_answers.c.answered_at,
            ).where(survey_answers.c.client_id.in_(part))
        ).mappings()
        for row in rows:
            found[row["client_id"]] = _Stored(
                identity=(row["score"], row["flow"], row["language"], row["answered_at"])
            )
    return found


# -- shared ----------------------------------------------------------------------------------------


def _insert_ignoring_duplicates(
    database: Database, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> set[str]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING for all `rows`; the client ids it stored.

    An executemany with RETURNING, which SQLAlchemy sends as multi-row INSERTs in the rows'
    order ("insertmanyvalues") from one cached compilation, instead of compiling a statement
    for every batch size.
    """
    ordered = sorted(rows, key=lambda row: str(row["client_id"]))
    statement = database.insert_ignoring_duplicates(table).returning(table.c.client_id)
    return set(connection.execute(statement, ordered).scalars())


def _slices(values: Sequence[str]) -> Iterable[Collection[str]]:
    for start in range(0, len(values), _SELECT_SLICE):
        yield values[start : start + _SELECT_SLICE]
