"""Daily counts per province, program and stage, kept on write for the national dashboard.

What a record is at arrival (complete, first visit, mismatches) never changes, so intake adds it
once; waiting and handling spans change with staff actions, so casework adds the difference.
Increments are upserts in the caller's transaction, in key order (two writers never deadlock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.server.storage import case_daily

Key = tuple[str, date, str, str, int]
COUNTS = tuple(c.name for c in case_daily.columns if not c.primary_key)


def key_of(case: Mapping[str, Any]) -> Key:
    """The rollup row of a case row (its `kind`, `received_day`, `area`, `program`, `stage`)."""
    return (
        case["kind"],
        case["received_day"],
        str(case["area"])[:2],
        case.get("program") or "",
        case.get("stage") or 0,
    )


def arrival_counts(case: Mapping[str, Any]) -> Counter[str]:
    """What one new case adds: the facts fixed at arrival."""
    complete, first = bool(case.get("complete")), bool(case.get("first_visit"))
    return Counter(
        {
            "records": 1,
            "complete": int(complete),
            "first_visit": int(first),
            "first_visit_complete": int(first and complete),
            "account_mismatch": int(bool(case.get("account_mismatch"))),
            "name_mismatch": int(bool(case.get("name_mismatch"))),
            "not_registered": int(bool(case.get("not_registered"))),
            "any_mismatch": int(bool(case.get("mismatch"))),
        }
    )


def add(connection: Connection, deltas: Iterable[tuple[Key, Mapping[str, int]]]) -> None:
    """Add `deltas` (which may be negative) to their rows, creating them as needed."""
    merged: dict[Key, Counter[str]] = {}
    for key, delta in deltas:
        merged.setdefault(key, Counter()).update(delta)
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for key in sorted(merged):
        delta = {name: merged[key].get(name, 0) for name in COUNTS}
        if not any(delta.values()):
            continue
        kind, day, province, program, stage = key
        statement = dialect_insert(case_daily).values(
            kind=kind, received_day=day, province=province, program=program, stage=stage, **delta
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[c.name for c in case_daily.primary_key.columns],
                set_={
                    name: case_daily.c[name] + statement.excluded[name]
                    for name, value in delta.items()
                    if value
                },
            )
        )
