"""The audit trail: what arrived, from which device, and what the server did with it.

Append-only (the database refuses updates and deletes) and free of personal data: ids,
fingerprints and codes, never a NIK, a name or an account number.

Tamper-evident: every row carries the hash of the row before it and its own SHA-256 over its
content and that hash, so a changed, removed or inserted row breaks the chain at that row, and
`verify` (`kiosk-server audit verify`) finds it. Appenders lock the chain's head row until
commit, so concurrent transactions and server processes extend one line, never a fork.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from sync.server.storage import Database, audit, audit_chain

GENESIS = "0" * 64  # the "previous hash" of the first row
HEAD_ID = 1
_FIELDS = (
    "at",
    "device_id",
    "action",
    "client_id",
    "fingerprint",
    "outcome",
    "code",
    "staff_user_id",
    "detail",
)
_HASHED = ("seq", *_FIELDS, "prev_hash")
_VERIFY_BATCH = 1000


def row_hash(row: Mapping[Any, Any]) -> str:
    """SHA-256 of the row's canonical JSON: its place, its content and the previous row's hash."""
    content = {name: _canonical(row.get(name)) for name in _HASHED}
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    # A moment as UTC with microseconds: what both databases hand back for what was stored.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def chained(
    events: Sequence[Mapping[str, Any]], length: int, last_hash: str
) -> list[dict[str, Any]]:
    """The rows for `events` continuing a chain of `length` rows that ends in `last_hash`."""
    rows = []
    previous = last_hash
    for offset, event in enumerate(events, start=1):
        row = {name: event.get(name) for name in _FIELDS}
        row["seq"] = length + offset
        row["prev_hash"] = previous
        row["row_hash"] = previous = row_hash(row)
        rows.append(row)
    return rows


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


def append_many(connection: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Events in the caller's transaction, chained after the head, sent as multi-row INSERTs.

    The head row stays locked until the caller commits: another appender waits, then reads the
    head this one left, so ids and places in the chain go up together. Append after the
    transaction's other writes, so no one holds the head while waiting for a row lock."""
    if not events:
        return
    head = connection.execute(
        select(audit_chain.c.length, audit_chain.c.last_hash)
        .where(audit_chain.c.id == HEAD_ID)
        .with_for_update()
    ).one()
    rows = chained(events, head.length, head.last_hash)
    # RETURNING makes SQLAlchemy send the executemany as multi-row VALUES from one cached
    # compilation ("insertmanyvalues"); without it psycopg runs one INSERT per event.
    connection.execute(insert(audit).returning(audit.c.id), rows)
    connection.execute(
        update(audit_chain)
        .where(audit_chain.c.id == HEAD_ID)
        .values(length=rows[-1]["seq"], last_hash=rows[-1]["row_hash"])
    )


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: `rows` checked; where intact is False, the first broken row's id
    (None when what is wrong is the end of the trail or the head) and a problem code,
    `audit.problem.<code>` in the translations. Never a row's content."""

    rows: int
    problem: str | None = None
    row_id: int | None = None
    # The last row's hash when intact: written down off the server, it shows later that the
    # chain was not rebuilt from an earlier row on (a rebuilt chain ends in another hash).
    last_hash: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "rows": self.rows,
            "problem": self.problem,
            "row_id": self.row_id,
            "last_hash": self.last_hash,
        }


def verify(database: Database) -> ChainCheck:
    """Walk the whole chain in order, a batch at a time (memory stays bounded)."""
    with database.read() as connection:
        unchained = connection.execute(
            select(audit.c.id)
            .where(audit.c.seq.is_(None) | (audit.c.seq < 1) | audit.c.row_hash.is_(None))
            .order_by(audit.c.id)
            .limit(1)
        ).scalar()
        if unchained is not None:
            return ChainCheck(0, "unchained", unchained)
        head = connection.execute(
            select(audit_chain.c.length, audit_chain.c.last_hash).where(audit_chain.c.id == HEAD_ID)
        ).one_or_none()
        if head is None:
            return ChainCheck(0, "head_missing")
        checked = 0
        previous = GENESIS
        for row in _in_chain_order(connection):
            expected = checked + 1
            if row["seq"] != expected:
                return ChainCheck(checked, "row_missing_before", row["id"])
            if row["prev_hash"] != previous:
                return ChainCheck(checked, "previous_changed", row["id"])
            if row_hash(row) != row["row_hash"]:
                return ChainCheck(checked, "content_changed", row["id"])
            previous = row["row_hash"]
            checked = expected
        if checked < head.length:
            return ChainCheck(checked, "rows_missing_at_end")
        if checked > head.length or previous != head.last_hash:
            return ChainCheck(checked, "head_mismatch")
        return ChainCheck(checked, last_hash=previous)


def _in_chain_order(connection: Connection) -> Iterator[RowMapping]:
    # Keyset pages by seq: bounded memory on both databases, no server-side cursor needed.
    columns = [audit.c.id, audit.c.row_hash, *(audit.c[name] for name in _HASHED)]
    after = 0
    while True:
        page = connection.execute(
            select(*columns).where(audit.c.seq > after).order_by(audit.c.seq).limit(_VERIFY_BATCH)
        ).mappings()
        count = 0
        for row in page:
            count += 1
            after = row["seq"]
            yield row
        if count < _VERIFY_BATCH:
            return
