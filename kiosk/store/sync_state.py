"""What the device keeps about its server: enrollment and credential, pull cursor, last run.

Also the store side of what the server sends back: status changes and roster entries. The
credential lives in the meta table (inside the device database, like the receipt key): it is never
printed, logged or exported, and Enrollment hides it from repr().
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.domain.complaints import ComplaintState
from kiosk.domain.names import name_key
from kiosk.domain.requirements import parse_rules
from kiosk.domain.submissions import SubmissionState
from kiosk.store.records import DEVICE_CODE_KEY, get_meta, set_meta
from kiosk.store.roster import RosterEntry, bump_roster_version
from kiosk.store.rules import install_rule_file

SERVER_URL = "sync.server_url"
CREDENTIAL = "sync.credential"
DEVICE_NAME = "sync.device_name"
AREA = "sync.area"
ENROLLED_AT = "sync.enrolled_at"
CURSOR = "sync.cursor"
LAST_ATTEMPT = "sync.last_attempt_at"
LAST_SUCCESS = "sync.last_success_at"
LAST_ERROR = "sync.last_error"
LOCK_FILE = "sync.lock"
# The operator's trust decisions at enrolment, honoured by every sync after it.
ALLOW_PLAIN_HTTP = "sync.allow_plain_http"
PIN_SHA256 = "sync.pin_sha256"
TRUSTED_CA = "sync.trusted_ca_pem"
_TRUST_KEYS = (ALLOW_PLAIN_HTTP, PIN_SHA256, TRUSTED_CA)

_STATES = {
    "submission": ("submissions", frozenset(SubmissionState)),
    "complaint": ("complaints", frozenset(ComplaintState)),
}
_NIK = re.compile(r"\d{16}")


@dataclass(frozen=True)
class Enrollment:
    """The server this device belongs to; `credential` is secret and never shown."""

    server_url: str
    device_name: str
    device_code: str
    area: str
    enrolled_at: str
    credential: str = field(repr=False)
    allow_plain_http: bool = False
    pin_sha256: str | None = None  # lowercase hex of the server certificate's SHA-256
    trusted_ca_pem: str | None = field(default=None, repr=False)

    def public(self) -> dict[str, str]:
        """Everything but the credential: safe to print or return as JSON."""
        return {
            "server_url": self.server_url,
            "device_name": self.device_name,
            "device_code": self.device_code,
            "area": self.area,
            "enrolled_at": self.enrolled_at,
        }


def enrollment(db: sqlite_utils.Database) -> Enrollment | None:
    credential = get_meta(db, CREDENTIAL)
    if not credential:
        return None
    return Enrollment(
        server_url=get_meta(db, SERVER_URL) or "",
        device_name=get_meta(db, DEVICE_NAME) or "",
        device_code=get_meta(db, DEVICE_CODE_KEY) or "",
        area=get_meta(db, AREA) or "",
        enrolled_at=get_meta(db, ENROLLED_AT) or "",
        credential=credential,
        allow_plain_http=get_meta(db, ALLOW_PLAIN_HTTP) == "1",
        pin_sha256=get_meta(db, PIN_SHA256) or None,
        trusted_ca_pem=get_meta(db, TRUSTED_CA) or None,
    )


def save_enrollment(db: sqlite_utils.Database, enrolled: Enrollment) -> None:
    """Store the enrollment in one transaction; the device code takes over new register numbers.

    The pull cursor belonged to the previous server (if any), so it is forgotten.
    """
    with db.atomic():
        for key, value in (
            (SERVER_URL, enrolled.server_url),
            (DEVICE_NAME, enrolled.device_name),
            (DEVICE_CODE_KEY, enrolled.device_code),
            (AREA, enrolled.area),
            (ENROLLED_AT, enrolled.enrolled_at),
            (CREDENTIAL, enrolled.credential),
        ):
            set_meta(db, key, value)
        # A new enrolment's trust replaces the old one whole: nothing carries over unasked.
        db.execute(
            "DELETE FROM meta WHERE key IN (?, ?, ?, ?, ?)", [CURSOR, LAST_ERROR, *_TRUST_KEYS]
        )
        for key, trust_value in (
            (ALLOW_PLAIN_HTTP, "1" if enrolled.allow_plain_http else None),
            (PIN_SHA256, enrolled.pin_sha256),
            (TRUSTED_CA, enrolled.trusted_ca_pem),
        ):
            if trust_value:
                set_meta(db, key, trust_value)


def pull_cursor(db: sqlite_utils.Database) -> str | None:
    return get_meta(db, CURSOR)


def set_pull_cursor(db: sqlite_utils.Database, cursor: str | None) -> None:
    """Call in the transaction that applied the changes up to `cursor`."""
    if cursor is None:
        db.execute("DELETE FROM meta WHERE key = ?", [CURSOR])
    else:
        set_meta(db, CURSOR, cursor)


def record_run(db: sqlite_utils.Database, at: str, error: Mapping[str, Any] | None) -> None:
    """Remember when sync last ran and, if it failed, why (an error code and its parameters)."""
    with db.atomic():
        set_meta(db, LAST_ATTEMPT, at)
        if error is None:
            set_meta(db, LAST_SUCCESS, at)
            db.execute("DELETE FROM meta WHERE key = ?", [LAST_ERROR])
        else:
            set_meta(db, LAST_ERROR, json.dumps(dict(error), ensure_ascii=False, default=str))


def last_run(db: sqlite_utils.Database) -> dict[str, Any]:
    error = get_meta(db, LAST_ERROR)
    return {
        "last_attempt_at": get_meta(db, LAST_ATTEMPT),
        "last_success_at": get_meta(db, LAST_SUCCESS),
        "last_error": json.loads(error) if error else None,
    }


def apply_status(
    db: sqlite_utils.Database,
    record_kind: str,
    client_id: str,
    state: str,
    note: str | None,
    at: str,
    note_en: str | None = None,
) -> bool:
    """The server's verdict on one of this device's records; False if unknown here or invalid.

    `note` is the staff's note (Indonesian, or as typed); `note_en` its English when the server
    sent one (a generated note), else NULL so an older English note never outlives its state.
    """
    known = _STATES.get(record_kind)
    if known is None or state not in known[1]:
        return False
    cursor = db.execute(
        f"UPDATE {known[0]} SET state = ?, status_note = ?, status_note_en = ?, updated_at = ?"
        " WHERE client_id = ?",
        [state, note, note_en, at, client_id],
    )
    return cursor.rowcount == 1


def roster_entry_from_server(program: str, entry: Mapping[str, Any], at: str) -> RosterEntry | None:
    """A roster row sent by the server, or None when it lacks a valid NIK or a name."""
    nik, name = entry.get("nik"), entry.get("name")
    if not isinstance(nik, str) or not _NIK.fullmatch(nik) or not isinstance(name, str):
        return None
    if not name.strip():
        return None

    def optional(key: str) -> str | None:
        value = entry.get(key)
        return str(value) if value not in (None, "") else None

    extra = entry.get("extra")
    return RosterEntry(
        program=program,
        nik=nik,
        name=name.strip(),
        name_key=name_key(name),
        kk=optional("kk"),
        birth_date=optional("birth_date"),
        region_code=optional("region_code"),
        bank=optional("bank"),
        account=optional("account"),
        extra={str(k): str(v) for k, v in extra.items()} if isinstance(extra, Mapping) else {},
        source="server",
        imported_at=at,
    )


def remove_roster_entry(db: sqlite_utils.Database, program: str, nik: str) -> bool:
    cursor = db.execute("DELETE FROM roster WHERE program = ? AND nik = ?", [program, nik])
    if cursor.rowcount:
        bump_roster_version(db)
    return cursor.rowcount == 1


@contextlib.contextmanager
def sync_lock(data_dir: Path) -> Iterator[bool]:
    """Hold the device's sync lock while inside; yields False when another process holds it.

    An OS file lock, not a row in the database: it is released when its process dies, so a
    killed sync never leaves the device unable to sync.
    """
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    handle = os.open(Path(data_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        held = _try_lock(handle)
        yield held
    finally:
        os.close(handle)  # closing releases the lock


def _try_lock(handle: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def install_rule_text(data_dir: Path, program: str, text: str) -> None:
    """Validate rules sent by the server for `program`, then put them in force atomically.

    RuleFileError (nothing changed) when the text is invalid or declares another program.
    """
    parse_rules(text, f"server:{program}", program=program)
    handle, temporary = tempfile.mkstemp(dir=data_dir, prefix=".incoming-rules-", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        install_rule_file(Path(temporary), data_dir)
    finally:
        Path(temporary).unlink(missing_ok=True)
