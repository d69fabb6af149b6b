"""Staff actions in the audit trail: who (staff user), when, what; and a case's history read back.

The trail stays free of personal data: `detail` holds ids, codes and states. What staff wrote (a
note, a message for the person, a reason) is kept in case_notes and referred to by its id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sync.server import audit as audit_trail
from sync.server.storage import audit, dumps, staff_users

OPERATOR_TOOL = "kiosk-server"


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    # The staff member's name, or "<name> (kiosk-server)" for an operator at the command line;
    # None for the system (sync, the overdue sweep).
    who: str | None
    action: str
    outcome: str
    detail: dict[str, Any]


def record_staff_action(
    connection: Connection,
    *,
    at: datetime,
    staff_user_id: int | None,
    action: str,
    outcome: str,
    client_id: str | None = None,
    device_id: int | None = None,
    code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row in the caller's transaction, written exactly when the change is."""
    audit_trail.append_many(
        connection,
        [
            {
                "at": at,
                "staff_user_id": staff_user_id,
                "action": action,
                "outcome": outcome,
                "client_id": client_id,
                "device_id": device_id,
                "code": code,
                "detail": dumps(detail) if detail else None,
            }
        ],
    )


def case_history(connection: Connection, client_id: str) -> tuple[HistoryEntry, ...]:
    """Everything the trail holds about one record, oldest first: arrival, sync, staff actions."""
    rows = connection.execute(
        select(audit.c.at, audit.c.action, audit.c.outcome, audit.c.detail, staff_users.c.name)
        .outerjoin(staff_users, staff_users.c.id == audit.c.staff_user_id)
        .where(audit.c.client_id == client_id)
        .order_by(audit.c.id)
    )
    entries = []
    for row in rows:
        detail = json.loads(row.detail) if row.detail else {}
        entries.append(
            HistoryEntry(
                at=row.at,
                who=row.name or _operator(detail),
                action=row.action,
                outcome=row.outcome,
                detail=detail,
            )
        )
    return tuple(entries)


def _operator(detail: dict[str, Any]) -> str | None:
    """An operator is marked as such, so a typed name never passes for a staff account's."""
    operator = detail.get("operator")
    return f"{operator} ({OPERATOR_TOOL})" if operator else None
