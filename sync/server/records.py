"""Records the server holds, exported as JSON lines keyed by register number and client id.

Changing a record's state is a staff action (staff/operators.py from the command line,
staff/review.py and staff/cases.py from the console), not something done here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from sync.server.storage import Database, devices, records

KINDS = ("submission", "complaint")


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
