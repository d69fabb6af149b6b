"""The audit trail: what arrived, from which device, and what the server did with it.

Append-only (the database refuses updates and deletes) and free of personal data: ids,
fingerprints and codes, never a NIK, a name or an account number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from sync.server.storage import audit

_FIELDS = ("at", "device_id", "action", "client_id", "fingerprint", "outcome", "code")


def append(
    connection: Connection,
    *,
    at: datetime,
    action: str,
    outcome: str,
    device_id: int | None = None,
    client_id: str | None = None,
    fingerprint: str | None = None,
    code: str | None = None,
) -> None:
    """One event, in the caller's transaction, so it is written exactly when the change is."""
    append_many(
        connection,
        [
            {
                "at": at,
                "action": action,
                "outcome": outcome,
                "device_id": device_id,
                "client_id": client_id,
                "fingerprint": fingerprint,
                "code": code,
            }
        ],
    )


def append_many(connection: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Events in the caller's transaction, sent as multi-row INSERTs, not one per event."""
    if events:
        # RETURNING makes SQLAlchemy send the executemany as multi-row VALUES from one cached
        # compilation ("insertmanyvalues"); without it psycopg runs one INSERT per event.
        connection.execute(
            insert(audit).returning(audit.c.id),
            [{name: e.get(name) for name in _FIELDS} for e in events],
        )
