"""The change log devices pull: status changes of their own records, roster rows of their area, rules.

Each change has a sequence number; a device's cursor is the last one it has seen, bound to this
server's database so a cursor from elsewhere is refused rather than silently skipping changes.
Writers serialise on a lock, so sequence numbers become visible in order and a pull never steps
over a change still being committed. A newer roster row or rule file replaces the older change.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.engine import Connection

from sync.protocol import Change, ChangeKind, ErrorCode, PullResponse
from sync.server.errors import RequestError
from sync.server.storage import Database, changes, dumps, meta

CHANGES_LOCK = 0x4C4B5043  # "LKPC": advisory lock id serialising writers of the change log
_CURSOR = re.compile(r"c1:([0-9a-f]{16}):(\d{1,18})")
_INSTANCE_KEY = "instance_id"


@dataclass(frozen=True)
class NewChange:
    kind: ChangeKind
    data: dict[str, Any]
    device_id: int | None = None  # only this device pulls it
    area: str | None = None  # devices whose area contains this region pull it; None: all
    supersede_key: str | None = None  # replaces an earlier change with the same key


def instance_id(database: Database) -> str:
    """A random id of this server's database, made once; it binds cursors to it."""
    with database.write() as connection:
        connection.execute(
            database.insert_ignoring_duplicates(meta).values(
                key=_INSTANCE_KEY, value=secrets.token_hex(8)
            )
        )
        return str(
            connection.execute(select(meta.c.value).where(meta.c.key == _INSTANCE_KEY)).scalar_one()
        )


def encode_cursor(instance: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{instance}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, instance: str) -> int:
    """The sequence number in `cursor`; none or empty means from the beginning."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        found = None
    if found is None or found.group(1) != instance:
        raise RequestError(ErrorCode.BAD_CURSOR, "cursor")
    return int(found.group(2))


def append(
    database: Database, connection: Connection, new: Sequence[NewChange], now: datetime
) -> None:
    """Add changes in the caller's transaction, after the lock that keeps sequence order."""
    if not new:
        return
    database.lock(connection, CHANGES_LOCK)
    keys = sorted({change.supersede_key for change in new if change.supersede_key})
    for start in range(0, len(keys), 500):
        connection.execute(
            delete(changes).where(changes.c.supersede_key.in_(keys[start : start + 500]))
        )
    connection.execute(
        insert(changes),
        [
            {
                "kind": change.kind.value,
                "device_id": change.device_id,
                "area": change.area,
                "supersede_key": change.supersede_key,
                "changed_at": now,
                "data": dumps(change.data),
            }
            for change in new
        ],
    )


def pull(
    database: Database, *, device_id: int, area: str, cursor: str | None, limit: int, instance: str
) -> PullResponse:
    """Changes for one device after `cursor`, oldest first, at most `limit`."""
    after = decode_cursor(cursor, instance)
    # A device's area "3174" receives rows of region "317401...": the row's code starts with it.
    for_device = or_(
        changes.c.device_id == device_id,
        (changes.c.device_id.is_(None))
        & (changes.c.area.is_(None) | changes.c.area.startswith(area, autoescape=True)),
    )
    with database.read() as connection:
        newest = connection.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar_one()
        if after > newest:
            raise RequestError(ErrorCode.BAD_CURSOR, "cursor ahead of the log")
        rows = (
            connection.execute(
                select(changes)
                .where(changes.c.seq > after, for_device)
                .order_by(changes.c.seq)
                .limit(limit + 1)
            )
            .mappings()
            .all()
        )
    page = rows[:limit]
    last = page[-1]["seq"] if page else after
    if len(rows) <= limit:
        # Everything up to `newest` was looked at (writers commit in sequence order), so the
        # next pull need not scan other devices' changes again.
        last = max(last, newest)
    return PullResponse(
        changes=tuple(
            Change(
                kind=ChangeKind(row["kind"]),
                changed_at=row["changed_at"],
                data=json.loads(row["data"]),
            )
            for row in page
        ),
        next_cursor=encode_cursor(instance, last),
        has_more=len(rows) > limit,
    )
