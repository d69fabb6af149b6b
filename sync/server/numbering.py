"""Which register numbers a device may use: its own, never another device's (issue 11, item 1).

A register number carries the code of the device that made it (kiosk.domain.register_numbers),
and staff decisions, receipts and complaints find a record by that number. So the server takes a
number only from the device whose code it carries, and only once:

- the device's own code, assigned at enrolment and unique among devices;
- or its pre-enrolment code: a kiosk numbers what it saves before enrolling with a random code
  (kiosk/store/records.py), and enrolment replaces it for later records only. The server learns
  that code at the device's first push of records (those waiting for their photos count), when
  the batch carries exactly one code that is neither assigned to a device nor learnt from
  another, and ties it to the device for good (table device_codes). Later pushes cannot add a
  code, so a device that has pushed cannot take one; a code is never learnt for two devices,
  and no device is assigned a learnt code;
- and a number no record holds yet, nor another record of the same batch (a kiosk restored from an
  old backup counts again from where the backup stood). The unique index on the number backs
  this check against a concurrent push.

Every other record is refused on its own with a stable reason; the rest of its batch is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.engine import Connection

from kiosk.domain.register_numbers import parse_register_number
from sync.server.devices import Device
from sync.server.storage import Database, device_codes, devices, records
from sync.server.validation import Rejection

FOREIGN = Rejection("server.reject.foreign_register_number", "register_number")
TAKEN = Rejection("server.reject.register_number_taken", "register_number")


def code_of(number: str) -> str:
    return parse_register_number(number).device_code


def screen(
    database: Database,
    connection: Connection,
    device: Device,
    numbers: dict[str, str],
    now: datetime,
    *,
    waiting: Collection[str] = (),
) -> dict[str, Rejection]:
    """Refusals, by client id, among records new to the server (`numbers`: client id -> number).

    `waiting` are the numbers of this batch's records that wait for their photos: their code
    counts for the first push, so a pre-enrolment record held back by a photo is not left out.
    """
    codes = {client_id: code_of(number) for client_id, number in numbers.items()}
    seen = set(codes.values()) | {code_of(number) for number in waiting}
    allowed = _codes_of(connection, device, seen, database, now) & set(codes.values())
    refused = {client_id: FOREIGN for client_id, code in codes.items() if code not in allowed}
    candidates = {cid: number for cid, number in numbers.items() if cid not in refused}
    in_batch = Counter(candidates.values())
    holders = _holders(connection, candidates.values())
    for client_id, number in candidates.items():
        # The same record stored a moment ago by a concurrent push is not another holder:
        # ingest finds it as a duplicate.
        if in_batch[number] > 1 or holders.get(number, client_id) != client_id:
            refused[client_id] = TAKEN
    return refused


def _codes_of(
    connection: Connection,
    device: Device,
    codes: set[str],
    database: Database,
    now: datetime,
) -> set[str]:
    """Which of `codes` this device may number with; learns its pre-enrolment code if due."""
    foreign = codes - {device.device_code}
    if not foreign:
        return codes
    learnt = dict(
        connection.execute(
            select(device_codes.c.code, device_codes.c.device_id).where(
                device_codes.c.code.in_(sorted(foreign))
            )
        ).all()
    )
    mine = {code for code, owner in learnt.items() if owner == device.id}
    unknown = foreign - set(learnt) - _assigned(connection, foreign)
    if len(unknown) == 1 and _first_push(connection, device):
        [code] = unknown
        if _learn(database, connection, device, code, now):
            mine.add(code)
    return (codes & {device.device_code}) | mine


def _assigned(connection: Connection, codes: Collection[str]) -> set[str]:
    found = connection.execute(
        select(devices.c.device_code).where(devices.c.device_code.in_(sorted(codes)))
    ).scalars()
    return set(found)


def _first_push(connection: Connection, device: Device) -> bool:
    """No record of this device is stored and no code learnt for it yet."""
    has_code = exists().where(device_codes.c.device_id == device.id)
    has_record = exists().where(records.c.device_id == device.id)
    return not connection.execute(select(has_code | has_record)).scalar_one()


def _learn(
    database: Database, connection: Connection, device: Device, code: str, now: datetime
) -> bool:
    """Tie `code` to the device; False when another device's push tied it first."""
    connection.execute(
        database.insert_ignoring_duplicates(device_codes).values(
            code=code, device_id=device.id, learnt_at=now
        )
    )
    owner = connection.execute(
        select(device_codes.c.device_id).where(device_codes.c.code == code)
    ).scalar_one()
    return bool(owner == device.id)


def _holders(connection: Connection, numbers: Iterable[str]) -> dict[str, str]:
    """The client id of the stored record holding each of `numbers`, for those held."""
    wanted = sorted(set(numbers))
    holders: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        rows = connection.execute(
            select(records.c.register_number, records.c.client_id).where(
                records.c.register_number.in_(part)
            )
        )
        holders.update((number, client_id) for number, client_id in rows)
    return holders
