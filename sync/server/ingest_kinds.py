"""What differs between the kinds ingest takes: submissions and complaints, and survey answers.

ingest.py runs one algorithm for every kind; a `StoredKind` says, for one kind, which table holds
it, what a stored row is compared on (its `identity`), the row to insert and the answers to give.
Records are compared on the fingerprint of their body and carry photos; survey answers carry no
personal data and no photos, and their table keeps the answer's own columns instead of a
fingerprint, so those columns are what a resend must match.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from sync.protocol import LocalisedText, OutboxRecord, RecordResult, RecordStatus
from sync.server import numbering, photo_owners
from sync.server.devices import Device
from sync.server.errors import localised
from sync.server.storage import Database, dumps, records, survey_answers
from sync.server.validation import CheckedRecord, CheckedSurvey, Rejection

INITIAL_STATE = "synced"  # what the device shows once the server has a record
_SELECT_SLICE = 500  # ids per IN (...): far below every database's parameter limit


@dataclass(frozen=True)
class Arrival:
    """One record of a batch, with its place in the batch and the server's reading of it."""

    index: int
    record: OutboxRecord
    fingerprint: str
    checked: CheckedRecord | CheckedSurvey | Rejection

    @property
    def client_id(self) -> str:
        return self.record.client_id

    @property
    def register_number(self) -> str | None:
        checked = self.checked
        return checked.register_number if isinstance(checked, CheckedRecord) else None


@dataclass(frozen=True)
class Stored:
    """What a comparison needs of a stored row: equal `identity` means an identical resend."""

    identity: Any
    register_number: str | None = None
    device_id: int | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, eq=False)
class StoredKind:
    """How one kind is stored and answered (compared by identity: one value per kind)."""

    table: Table
    identity: Callable[[Arrival], Any]
    read: Callable[[Connection, Iterable[str]], dict[str, Stored]]
    row: Callable[[Arrival, Device, datetime], dict[str, Any]]
    accepted: Callable[[Arrival], RecordResult]
    conflict: Callable[[Stored, Device], LocalisedText]
    photos: Callable[[Arrival], frozenset[str]]
    # Refusals, by client id, of records new to the server that their content alone cannot tell
    # (a register number the device may not use); empty for kinds without such a rule.
    # Called with the records to insert and those waiting for photos.
    screen: Callable[
        [Database, Connection, Device, Sequence[Arrival], Sequence[Arrival], datetime],
        dict[str, Rejection],
    ] = lambda database, connection, device, planned, waiting, now: {}


def slices(values: Collection[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _SELECT_SLICE):
        yield ordered[start : start + _SELECT_SLICE]


# -- submissions and complaints ------------------------------------------------------------------


def _record_photos(arrival: Arrival) -> frozenset[str]:
    checked = arrival.checked
    return checked.attachments if isinstance(checked, CheckedRecord) else frozenset()


def _record_row(arrival: Arrival, device: Device, now: datetime) -> dict[str, Any]:
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


def _read_records(connection: Connection, client_ids: Iterable[str]) -> dict[str, Stored]:
    found: dict[str, Stored] = {}
    for part in slices(list(client_ids)):
        rows = connection.execute(
            select(
                records.c.client_id,
                records.c.fingerprint,
                records.c.register_number,
                records.c.received_at,
                records.c.device_id,
            ).where(records.c.client_id.in_(part))
        ).mappings()
        for row in rows:
            found[row["client_id"]] = Stored(
                identity=row["fingerprint"],
                register_number=row["register_number"],
                device_id=row["device_id"],
                received_at=row["received_at"],
            )
    return found


def _record_accepted(arrival: Arrival) -> RecordResult:
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


def _record_conflict(existing: Stored, device: Device) -> LocalisedText:
    """What the device stored under this client id, when it was this device; nothing about
    another device's record (its number, its device, its time): the client id alone is known."""
    if existing.device_id != device.id:
        return localised("server.result.conflict_elsewhere")
    assert existing.received_at is not None
    return localised(
        "server.result.conflict",
        register_number=existing.register_number,
        device=device.device_code,
        received_at=existing.received_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


def _screen_numbers(
    database: Database,
    connection: Connection,
    device: Device,
    arrivals: Sequence[Arrival],
    waiting: Sequence[Arrival],
    now: datetime,
) -> dict[str, Rejection]:
    """Records naming a photo their device did not send, then ones whose number it may not use."""
    photos = {sha for arrival in arrivals for sha in _record_photos(arrival)}
    mine = photo_owners.owned(connection, device.id, photos) if photos else set()
    refused = {
        arrival.client_id: photo_owners.NOT_OWNED
        for arrival in arrivals
        if not _record_photos(arrival) <= mine
    }
    numbers = {
        arrival.client_id: arrival.register_number
        for arrival in arrivals
        if arrival.register_number is not None and arrival.client_id not in refused
    }
    held_back = [arrival.register_number for arrival in waiting if arrival.register_number]
    return refused | numbering.screen(database, connection, device, numbers, now, waiting=held_back)


RECORDS = StoredKind(
    table=records,
    identity=lambda arrival: arrival.fingerprint,
    read=_read_records,
    row=_record_row,
    accepted=_record_accepted,
    conflict=_record_conflict,
    photos=_record_photos,
    screen=_screen_numbers,
)


# -- survey answers ------------------------------------------------------------------------------


def _survey_identity(arrival: Arrival) -> Any:
    """The stored columns a resend must match; the table keeps no fingerprint of the body."""
    checked = arrival.checked
    if not isinstance(checked, CheckedSurvey):
        return arrival.fingerprint  # a refused body never equals a stored answer
    return (checked.score, checked.flow, checked.language, checked.answered_at)


def _survey_row(arrival: Arrival, device: Device, now: datetime) -> dict[str, Any]:
    checked = arrival.checked
    assert isinstance(checked, CheckedSurvey)
    return {
        "client_id": arrival.client_id,
        "device_id": device.id,
        "area": device.area,  # for the console's monitoring by region
        "score": checked.score,
        "flow": checked.flow,
        "language": checked.language,
        "answered_at": checked.answered_at,
        "received_at": now,
    }


def _read_surveys(connection: Connection, client_ids: Iterable[str]) -> dict[str, Stored]:
    found: dict[str, Stored] = {}
    for part in slices(list(client_ids)):
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
            found[row["client_id"]] = Stored(
                identity=(row["score"], row["flow"], row["language"], row["answered_at"])
            )
    return found


SURVEYS = StoredKind(
    table=survey_answers,
    identity=_survey_identity,
    read=_read_surveys,
    row=_survey_row,
    accepted=lambda arrival: RecordResult(
        client_id=arrival.client_id, status=RecordStatus.ACCEPTED
    ),
    conflict=lambda existing, device: localised("server.result.survey_conflict"),
    photos=lambda arrival: frozenset(),
)


def kind_of(record: OutboxRecord) -> StoredKind:
    return SURVEYS if record.kind == "survey" else RECORDS
