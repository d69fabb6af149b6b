"""Every record the server holds gets a case row: its staff side and the facts monitoring counts.

Ingest stays as it is: the console catches up on records that have no case row yet before it
reads (`catch_up`), the migration fills the rows of records already there (`open_cases` on every
record), and ingest may call `open_cases` itself in its transaction to save the console that work.
Everything a case row holds is read from the record's JSON once, here, so dashboards over a million
records never parse a body.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, select, text, tuple_
from sqlalchemy.engine import Connection, RowMapping

from kiosk.domain.complaints import ComplaintCategory, deadlines_for
from sync.server.staff import rollup
from sync.server.staff.checks import mismatch_flags, roster_mismatches
from sync.server.storage import (
    Database,
    case_missing_documents,
    cases,
    devices,
    meta,
    records,
    roster,
)

BATCH = 1000
INTAKE_LOCK = 0x4C4B5053  # "LKPS": advisory lock id serialising the opening of case rows
FLOOR_KEY = "cases_floor"  # every record with an id up to this one has its case row
# No push transaction stays open this long, so a record older than this that still has no case
# row cannot be waiting for a commit: the floor may pass it.
SETTLE = timedelta(hours=1)


@dataclass(frozen=True)
class NewCase:
    """A case row's values and the submission's missing documents."""

    values: dict[str, Any]
    missing_documents: tuple[str, ...]


def person_key(program: str | None, stage: int | None, nik: str | None) -> str | None:
    """Finds earlier visits of one person for one program stage without storing the NIK again."""
    if not nik or not program:
        return None
    return hashlib.sha256(f"{program}|{stage}|{nik}".encode()).hexdigest()


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def deadlines_start(
    body: Mapping[str, Any], verdict: Mapping[str, Any], received_at: datetime
) -> datetime:
    """When a complaint's deadlines start counting: the device's stated filing time if the
    server believed it at arrival (validation.py), else the server's receipt; a record kept
    before the server judged the clock counts from its receipt unless its filing time has a zone.
    """
    if verdict.get("deadlines_from") == "received_at":
        return received_at
    return _moment(body.get("filed_at")) or received_at


def _complaint_deadlines(
    body: Mapping[str, Any], verdict: Mapping[str, Any], received_at: datetime
) -> dict[str, datetime]:
    """The server's own deadlines, never the device's."""
    first_response = _moment(verdict.get("first_response_due"))
    resolution = _moment(verdict.get("resolution_due"))
    if first_response is None or resolution is None:
        try:
            category = ComplaintCategory(body.get("category"))
        except ValueError:
            category = ComplaintCategory.OTHER
        counted = deadlines_for(category, deadlines_start(body, verdict, received_at))
        first_response, resolution = counted.first_response, counted.resolution
    return {"first_response_due": first_response, "due_at": resolution}


def new_case(
    record: Mapping[str, Any], *, area: str, roster_entry: Mapping[str, Any] | None
) -> NewCase:
    """The case row of one record (pure): `record` has the records table's columns."""
    body = json.loads(record["body"])
    verdict = json.loads(record["server_verdict"])
    received_at: datetime = record["received_at"]
    values: dict[str, Any] = {
        "record_id": record["id"],
        "kind": record["kind"],
        "state": record["state"],
        "area": area,
        "program": record["program"],
        "received_at": received_at,
        "received_day": received_at.date(),
    }
    missing: tuple[str, ...] = ()
    if record["kind"] == "submission":
        stage = body.get("stage") if isinstance(body.get("stage"), int) else None
        missing = tuple(sorted(set(verdict.get("missing_documents") or ())))
        nik = (body.get("applicant") or {}).get("nik")
        values.update(
            stage=stage,
            complete=verdict.get("completeness") == "complete",
            person_key=person_key(record["program"], stage, nik),
            **mismatch_flags(roster_mismatches(body, roster_entry)),
        )
    else:
        values.update(
            category=body.get("category"),
            severity="normal",
            **_complaint_deadlines(body, verdict, received_at),
        )
    return NewCase(values, missing)


def open_cases(connection: Connection, record_ids: Sequence[int]) -> int:
    """Case rows for these records (those without one), in the caller's transaction."""
    if not record_ids:
        return 0
    if connection.dialect.name == "postgresql":
        # Two console sessions catching up at once: the second waits, then finds nothing to open.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INTAKE_LOCK})
    rows = (
        connection.execute(
            select(
                records.c.id,
                records.c.kind,
                records.c.state,
                records.c.program,
                records.c.body,
                records.c.server_verdict,
                records.c.received_at,
                devices.c.area,
            )
            .join(devices, devices.c.id == records.c.device_id)
            .outerjoin(cases, cases.c.record_id == records.c.id)
            .where(records.c.id.in_(list(record_ids)), cases.c.record_id.is_(None))
            .order_by(records.c.id)
        )
        .mappings()
        .all()
    )
    if not rows:
        return 0
    entries = _roster_entries(connection, rows)
    made: list[NewCase] = []
    for row in rows:
        nik = _applicant_nik(row)
        entry = entries.get((row["program"], nik)) if nik else None
        made.append(new_case(dict(row), area=row["area"], roster_entry=entry))
    _mark_first_visits(connection, made)
    # One column set for every row: executemany needs the same keys in each.
    columns = [column.name for column in cases.columns]
    connection.execute(
        insert(cases), [{name: case.values.get(name) for name in columns} for case in made]
    )
    missing = [
        {
            "record_id": case.values["record_id"],
            "document": document,
            "area": case.values["area"],
            "program": case.values["program"],
            "stage": case.values.get("stage"),
            "received_day": case.values["received_day"],
        }
        for case in made
        for document in case.missing_documents
    ]
    if missing:
        connection.execute(insert(case_missing_documents), missing)
    rollup.add(
        connection, [(rollup.key_of(c.values), rollup.arrival_counts(c.values)) for c in made]
    )
    return len(made)


def _applicant_nik(row: RowMapping) -> str | None:
    if row["kind"] != "submission":
        return None
    nik = (json.loads(row["body"]).get("applicant") or {}).get("nik")
    return nik if isinstance(nik, str) else None


def _roster_entries(
    connection: Connection, rows: Iterable[RowMapping]
) -> dict[tuple[str, str], dict[str, Any]]:
    wanted = {
        (row["program"], nik) for row in rows if (nik := _applicant_nik(row)) and row["program"]
    }
    found: dict[tuple[str, str], dict[str, Any]] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for hit in connection.execute(
            select(roster.c.program, roster.c.nik, roster.c.entry).where(
                tuple_(roster.c.program, roster.c.nik).in_(chunk), roster.c.removed.is_(False)
            )
        ):
            found[(hit.program, hit.nik)] = json.loads(hit.entry)
    return found


def _mark_first_visits(connection: Connection, made: Sequence[NewCase]) -> None:
    """A visit is the first when no earlier record (by id) has the same person key."""
    keys = sorted({c.values["person_key"] for c in made if c.values.get("person_key")})
    earliest: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for hit in connection.execute(
            select(cases.c.person_key, func.min(cases.c.record_id))
            .where(cases.c.person_key.in_(chunk))
            .group_by(cases.c.person_key)
        ):
            earliest[hit[0]] = hit[1]
    for case in made:  # in id order
        key = case.values.get("person_key")
        if case.values["kind"] != "submission":
            continue
        if key is None:
            case.values["first_visit"] = True
            continue
        record_id = case.values["record_id"]
        case.values["first_visit"] = earliest.get(key, record_id) >= record_id
        earliest[key] = min(earliest.get(key, record_id), record_id)


def _floor(connection: Connection) -> int:
    value = connection.execute(select(meta.c.value).where(meta.c.key == FLOOR_KEY)).scalar()
    return int(value) if value is not None else 0


def _set_floor(connection: Connection, floor: int) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    statement = upsert(meta).values(key=FLOOR_KEY, value=str(floor))
    connection.execute(
        statement.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": str(floor)})
    )


def _unopened(connection: Connection, floor: int, limit: int) -> list[int]:
    return list(
        connection.execute(
            select(records.c.id)
            .outerjoin(cases, cases.c.record_id == records.c.id)
            .where(records.c.id > floor, cases.c.record_id.is_(None))
            .order_by(records.c.id)
            .limit(limit)
        ).scalars()
    )


def catch_up(database: Database, *, now: datetime) -> int:
    """Open the cases of records that arrived since the last look; returns how many."""
    with database.read() as connection:
        floor = _floor(connection)
        pending = bool(_unopened(connection, floor, 1))
        settled = _settled_floor(connection, floor, now)
    if not pending and settled == floor:
        return 0  # the usual case: a read, no write
    opened = 0
    with database.write() as connection:
        floor = _floor(connection)
        while batch := _unopened(connection, floor, BATCH):
            opened += open_cases(connection, batch)
            if len(batch) < BATCH:
                break
        # Every record up to the settled id is committed and now has its case row.
        _set_floor(connection, _settled_floor(connection, floor, now))
    return opened


def _settled_floor(connection: Connection, floor: int, now: datetime) -> int:
    """The highest record id received before now - SETTLE: nothing below it can still arrive."""
    settled = connection.execute(
        select(func.max(records.c.id)).where(
            and_(records.c.id > floor, records.c.received_at < now - SETTLE)
        )
    ).scalar()
    return max(floor, int(settled or 0))


def open_all(connection: Connection) -> int:
    """Case rows for every record without one (the migration's backfill)."""
    opened, floor = 0, 0
    while batch := _unopened(connection, floor, BATCH):
        opened += open_cases(connection, batch)
        floor = batch[-1]
    return opened
