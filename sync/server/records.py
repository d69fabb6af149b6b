"""Records the server holds: staff change their state (which flows back to the device), and an
export hands everything over as JSON lines keyed by register number and client id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select, update

from kiosk.domain import complaints, submissions
from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number
from sync.protocol import ChangeKind
from sync.server import audit, changes
from sync.server.errors import AdminError, Nested
from sync.server.storage import Database, cases, devices, records

_STATES: dict[str, Any] = {
    "submission": (submissions.SubmissionState, submissions.can_move),
    "complaint": (complaints.ComplaintState, complaints.can_move),
}
KINDS = ("submission", "complaint")


def set_record_state(
    database: Database,
    register_number: str,
    state: str,
    *,
    note: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Move a record to `state` if its lifecycle allows it; the device learns of it on its next pull."""
    try:
        number = str(parse_register_number(register_number))
    except RegisterNumberError as exc:
        raise AdminError(
            "bad_register_number", "register number", reason=Nested(exc.reason)
        ) from None
    with database.write() as connection:
        rows = (
            connection.execute(
                select(
                    records.c.id,
                    records.c.client_id,
                    records.c.kind,
                    records.c.state,
                    records.c.device_id,
                ).where(records.c.register_number == number)
            )
            .mappings()
            .all()
        )
        if not rows:
            raise AdminError("record_not_found", "no record", register_number=number)
        if len(rows) > 1:
            raise AdminError("record_ambiguous", "several records", register_number=number)
        row = rows[0]
        kind_states, can_move = _STATES[row["kind"]]
        allowed = ", ".join(s.value for s in kind_states if can_move(kind_states(row["state"]), s))
        try:
            target = kind_states(state)
        except ValueError:
            raise AdminError(
                "bad_state", "unknown state", state=state, allowed=allowed or "-"
            ) from None
        if not can_move(kind_states(row["state"]), target):
            raise AdminError(
                "transition",
                "not allowed",
                current=row["state"],
                state=state,
                allowed=allowed or "-",
            )
        connection.execute(
            update(records)
            .where(records.c.id == row["id"])
            .values(
                state=target.value,
                state_note=note,
                updated_at=now,
                # A console user holding this case must see that it changed (StaleEdit).
                version=records.c.version + 1,
            )
        )
        connection.execute(
            update(cases).where(cases.c.record_id == row["id"]).values(state=target.value)
        )
        data = {
            "record_kind": row["kind"],
            "client_id": row["client_id"],
            "register_number": number,
            "state": target.value,
            "note": note,
        }
        changes.append(
            database,
            connection,
            [changes.NewChange(kind=ChangeKind.STATUS, data=data, device_id=row["device_id"])],
            now,
        )
        audit.append(
            connection,
            at=now,
            action="set_state",
            outcome=target.value,
            device_id=row["device_id"],
            client_id=row["client_id"],
        )
    return data


def export_records(
    database: Database, kind: str, since: date | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of `kind` received since `since` (UTC day), oldest first, streamed."""
    query = (
        select(records, devices.c.device_code, devices.c.name.label("device_name"))
        .join(devices, devices.c.id == records.c.device_id)
        .where(records.c.kind == kind)
        .order_by(records.c.id)
    )
    if since is not None:
        start = datetime.combine(since, time.min, tzinfo=UTC)
        query = query.where(records.c.received_at >= start)
    with database.read() as connection:
        for row in connection.execution_options(yield_per=500).execute(query).mappings():
            yield {
                "register_number": row["register_number"],
                "client_id": row["client_id"],
                "kind": row["kind"],
                "device_code": row["device_code"],
                "device_name": row["device_name"],
                "state": row["state"],
                "state_note": row["state_note"],
                "received_at": row["received_at"].isoformat(),
                "updated_at": row["updated_at"].isoformat(),
                "server_verdict": json.loads(row["server_verdict"]),
                "device_verdict": json.loads(row["device_verdict"])
                if row["device_verdict"]
                else None,
                "verdicts_agree": row["verdicts_agree"],
                "rules_version": row["rules_version"],
                "attachments": json.loads(row["attachments"]),
                "record": json.loads(row["body"]),
            }
