"""Devices: enrolled with a one-time code, known afterwards by a credential the server only hashes.

Codes and credentials are random and high-entropy, so a plain SHA-256 is a safe way to keep them:
a stolen database yields nothing to log in with. Revocation is read on every request, so it takes
effect on the next one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, RowMapping

from kiosk.domain.register_numbers import ALPHABET, DEVICE_CODE_LENGTH
from sync.protocol import ErrorCode
from sync.server import audit
from sync.server.errors import AdminError, RequestError
from sync.server.ratelimit import Rate
from sync.server.storage import Database, device_codes, devices, enrollment_codes

CREDENTIAL_BYTES = 32
ENROLLMENT_CODE_LENGTH = 12  # 12 of 31 characters: about 59 bits, typed once, expiring, single use
_CODE_GROUP = 4
_SEPARATORS = re.compile(r"[\s\-./]")
# What people mistype for a character of the alphabet (the register numbers' own rule).
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_AREA = re.compile(r"\d{2}(\d{2}(\d{2}(\d{4})?)?)?")
# Wrong enrolment codes one address may try: ten at once, then one every six seconds. A code
# has about 59 bits and expires, so this is not what keeps it secret; it keeps a script from
# hammering the database (310 guesses a second were measured without it).
ENROLMENT_GUESSES = Rate(burst=10, refill_seconds=6.0)
_BEARER = re.compile(r"Bearer\s+(\S+)\s*", re.IGNORECASE)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_area(code: str) -> str:
    """A Kemendagri region code as digits: "31.74" -> "3174" (province, regency, district, village)."""
    digits = code.replace(".", "").strip()
    if not _AREA.fullmatch(digits):
        raise AdminError("bad_area", "area must be a Kemendagri region code", area=code)
    return digits


def normalise_enrollment_code(code: str) -> str:
    """What a person typed: case, spaces, dashes and look-alike letters do not matter."""
    return _SEPARATORS.sub("", code).upper().translate(_LOOK_ALIKES)


def display_code(code: str) -> str:
    return "-".join(code[i : i + _CODE_GROUP] for i in range(0, len(code), _CODE_GROUP))


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    device_code: str
    area: str
    created_at: datetime
    enrolled_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: RowMapping) -> Device:
        return cls(
            id=row["id"],
            name=row["name"],
            device_code=row["device_code"],
            area=row["area"],
            created_at=row["created_at"],
            enrolled_at=row["enrolled_at"],
            revoked_at=row["revoked_at"],
        )

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "enrolled" if self.enrolled_at else "waiting"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device_code": self.device_code,
            "area": self.area,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "enrolled_at": self.enrolled_at.isoformat() if self.enrolled_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class EnrollmentTicket:
    """The one-time code an operator hands to a device; shown once, stored only as a hash."""

    device: Device
    code: str
    expires_at: datetime

    @property
    def display(self) -> str:
        return display_code(self.code)


def _random_text(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _device_by_name(connection: Connection, name: str) -> Device | None:
    row = connection.execute(select(devices).where(devices.c.name == name)).mappings().first()
    return Device.from_row(row) if row else None


def _new_device_code(connection: Connection) -> str:
    """A code no device has, nor numbered with before it enrolled (sync/server/numbering.py)."""
    while True:  # 31**6 codes: a clash is rare, and the unique constraint backs this check
        code = _random_text(DEVICE_CODE_LENGTH)
        assigned = select(devices.c.id).where(devices.c.device_code == code)
        learnt = select(device_codes.c.device_id).where(device_codes.c.code == code)
        if connection.execute(assigned.union_all(learnt)).first() is None:
            return code


def add_device(
    database: Database, name: str, area: str, *, now: datetime, ttl: timedelta
) -> EnrollmentTicket:
    """Register a device by name for an area and issue its first enrolment code."""
    name = name.strip()
    if not name:
        raise AdminError("bad_name", "a device needs a name")
    area_digits = normalise_area(area)
    with database.write() as connection:
        if _device_by_name(connection, name) is not None:
            raise AdminError("device_exists", "a device with this name exists", name=name)
        connection.execute(
            devices.insert().values(
                name=name,
                device_code=_new_device_code(connection),
                area=area_digits,
                created_at=now,
            )
        )
        device = _device_by_name(connection, name)
        assert device is not None
        return _issue(connection, device, now, ttl)


def issue_code(database: Database, name: str, *, now: datetime, ttl: timedelta) -> EnrollmentTicket:
    """A fresh enrolment code for an existing device (a lost code, or a replaced tablet)."""
    with database.write() as connection:
        device = _device_by_name(connection, name)
        if device is None:
            raise AdminError("device_not_found", "no such device", name=name)
        if device.revoked_at is not None:
            raise AdminError("device_revoked", "the device is revoked", name=name)
        return _issue(connection, device, now, ttl)


def _issue(
    connection: Connection, device: Device, now: datetime, ttl: timedelta
) -> EnrollmentTicket:
    code = _random_text(ENROLLMENT_CODE_LENGTH)
    expires_at = now + ttl
    connection.execute(
        enrollment_codes.insert().values(
            code_hash=digest(code), device_id=device.id, created_at=now, expires_at=expires_at
        )
    )
    return EnrollmentTicket(device=device, code=code, expires_at=expires_at)


def enroll(database: Database, code: str, *, now: datetime) -> tuple[Device, str]:
    """Exchange a one-time code for a credential; the code is spent even if the answer is lost."""
    code_hash = digest(normalise_enrollment_code(code))
    with database.write() as connection:
        enrolled = _spend_code(connection, code_hash, now)
        # The refusal is audited too, so it is committed before the error is raised below.
        audit.append(
            connection,
            at=now,
            action="enroll",
            outcome="enrolled" if enrolled else "refused",
            device_id=enrolled[0].id if enrolled else None,
        )
    if enrolled is None:
        raise RequestError(ErrorCode.INVALID_ENROLLMENT_CODE, "enrollment code")
    return enrolled


def _spend_code(connection: Connection, code_hash: str, now: datetime) -> tuple[Device, str] | None:
    row = (
        connection.execute(
            select(enrollment_codes, devices.c.revoked_at)
            .join(devices, devices.c.id == enrollment_codes.c.device_id)
            .where(enrollment_codes.c.code_hash == code_hash)
        )
        .mappings()
        .first()
    )
    if row is None or row["used_at"] is not None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] <= now:
        return None
    spent = connection.execute(
        update(enrollment_codes)
        .where(enrollment_codes.c.id == row["id"], enrollment_codes.c.used_at.is_(None))
        .values(used_at=now)
        .returning(enrollment_codes.c.id)
    ).first()
    if spent is None:  # another request spent it a moment ago
        return None
    credential = secrets.token_urlsafe(CREDENTIAL_BYTES)
    # A new credential replaces any earlier one: re-enrolling locks out the old tablet.
    connection.execute(
        update(devices)
        .where(devices.c.id == row["device_id"])
        .values(credential_hash=digest(credential), enrolled_at=now)
    )
    device = connection.execute(select(devices).where(devices.c.id == row["device_id"]))
    return Device.from_row(device.mappings().one()), credential


def authenticate(database: Database, authorization: str | None) -> Device:
    """The device behind `Authorization: Bearer <credential>`; 401 unknown, 403 revoked."""
    found = _BEARER.fullmatch(authorization or "")
    if not found:
        raise RequestError(ErrorCode.UNKNOWN_DEVICE, "no credential")
    with database.read() as connection:
        row = (
            connection.execute(
                select(devices).where(devices.c.credential_hash == digest(found.group(1)))
            )
            .mappings()
            .first()
        )
    if row is None:
        raise RequestError(ErrorCode.UNKNOWN_DEVICE, "unknown credential")
    device = Device.from_row(row)
    if device.revoked_at is not None:
        raise RequestError(ErrorCode.REVOKED_DEVICE, "revoked", device=device.device_code)
    return device


def revoke(database: Database, name: str, *, now: datetime) -> Device:
    with database.write() as connection:
        device = _device_by_name(connection, name)
        if device is None:
            raise AdminError("device_not_found", "no such device", name=name)
        if device.revoked_at is None:
            connection.execute(
                update(devices).where(devices.c.id == device.id).values(revoked_at=now)
            )
            audit.append(
                connection, at=now, action="revoke", outcome="revoked", device_id=device.id
            )
        revoked = _device_by_name(connection, name)
        assert revoked is not None
        return revoked


def list_devices(database: Database) -> list[Device]:
    with database.read() as connection:
        rows = connection.execute(select(devices).order_by(devices.c.name)).mappings().all()
    return [Device.from_row(row) for row in rows]


def device_by_id(database: Database, device_id: int) -> Device | None:
    with database.read() as connection:
        row = (
            connection.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
        )
    return Device.from_row(row) if row else None
