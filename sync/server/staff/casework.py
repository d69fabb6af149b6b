"""The one way a staff action changes a case: permission, version, transition, then every write.

Each mutation in cases.py and review.py loads the case in a write transaction, checks in this
order (so the message names the first thing wrong): the role may do it, the case exists, nobody
changed it since the staff member read it (optimistic concurrency on records.version), its state
allows it. Then the record, its case row, the note, the device's status change and the audit row
are written together, or not at all. A state set at the command line (operators.py) takes the
same commit_change; it skips the role and version checks, as the operator is at the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number
from kiosk.i18n import text
from sync.protocol import ChangeKind
from sync.server import changes
from sync.server.errors import (
    AmbiguousNumber,
    Nested,
    PermissionDenied,
    StaffError,
    StaffNotFound,
    StaleEdit,
    TransitionNotAllowed,
)
from sync.server.staff import rollup
from sync.server.staff.accounts import StaffUser
from sync.server.staff.history import record_staff_action
from sync.server.staff.intake import open_cases
from sync.server.staff.roles import Action
from sync.server.storage import Database, case_notes, cases, records, staff_users


@dataclass(frozen=True)
class LoadedCase:
    record_id: int
    client_id: str
    device_id: int
    kind: str
    register_number: str
    state: str
    version: int
    case: Mapping[str, Any]


def normalise_register_number(register_number: str) -> str:
    try:
        return str(parse_register_number(register_number))
    except RegisterNumberError as exc:
        raise StaffError(
            "bad_register_number",
            "register number",
            register_number=register_number,
            reason=Nested(exc.reason),
        ) from None


def find_case(
    connection: Connection, register_number: str, kind: str, *, open_missing: bool = True
) -> LoadedCase | None:
    """The case of `register_number`; its row is opened if it had none yet (in a write), else
    the LoadedCase has an empty `case`.

    Numbers are unique since migration 0004, but an older database may hold one twice: such a
    number is refused (AmbiguousNumber), never routed to one of the records. Whatever acts on
    the case afterwards goes by its record id, client id and device.
    """
    query = (
        select(
            records.c.id,
            records.c.client_id,
            records.c.device_id,
            records.c.kind,
            records.c.register_number,
            records.c.state,
            records.c.version,
        )
        .where(records.c.register_number == register_number)
        .order_by(records.c.id)
        .limit(2)
    )
    found_rows = connection.execute(query).all()
    if len(found_rows) > 1:
        raise AmbiguousNumber(register_number)
    row = found_rows[0] if found_rows else None
    if row is None or row.kind != kind:
        return None
    found = connection.execute(select(cases).where(cases.c.record_id == row.id)).mappings().first()
    if found is None and open_missing:
        open_cases(connection, [row.id])
        found = (
            connection.execute(select(cases).where(cases.c.record_id == row.id)).mappings().one()
        )
    case: dict[str, Any] = dict(found) if found is not None else {}
    return LoadedCase(
        record_id=row.id,
        client_id=row.client_id,
        device_id=row.device_id,
        kind=row.kind,
        register_number=row.register_number,
        state=row.state,
        version=row.version,
        case=case,
    )


@contextmanager
def viewing(
    db: Database, register_number: str, kind: str
) -> Iterator[tuple[Connection, LoadedCase]]:
    """A read transaction on one case; a write only for a record whose case row is not open yet."""
    number = normalise_register_number(register_number)
    with db.read() as connection:
        loaded = find_case(connection, number, kind, open_missing=False)
        if loaded is None:
            raise StaffNotFound("case", number)
        if loaded.case:
            yield connection, loaded
            return
    with db.write() as connection:
        opened = find_case(connection, number, kind)
        assert opened is not None  # records are never deleted
        yield connection, opened


def load_for_change(
    connection: Connection,
    actor: StaffUser,
    register_number: str,
    *,
    kind: str,
    action: Action,
    action_name: str,
    version: int,
    allowed_in: Mapping[str, str | None],
) -> LoadedCase:
    """The case, after every check; raises the first that fails."""
    actor.require(action)
    active = connection.execute(
        select(staff_users.c.disabled_at).where(staff_users.c.id == actor.id)
    ).first()
    if active is None or active.disabled_at is not None:
        raise PermissionDenied(actor.role.value, action.value)
    number = normalise_register_number(register_number)
    loaded = find_case(connection, number, kind)
    if loaded is None:
        raise StaffNotFound("case", number)
    if loaded.version != version:
        raise StaleEdit(number, version, loaded.version)
    if loaded.state not in allowed_in:
        raise TransitionNotAllowed(number, action_name, loaded.state)
    return loaded


def commit_change(
    database: Database,
    connection: Connection,
    loaded: LoadedCase,
    actor: StaffUser | None,
    *,
    action: str,
    now: datetime,
    new_state: str | None = None,
    case_values: Mapping[str, Any] | None = None,
    note: tuple[str, str] | None = None,
    device_note: str | None = None,
    device_note_en: str | None = None,
    detail: Mapping[str, Any] | None = None,
    operator: str | None = None,
) -> int:
    """Write one staff action; returns the case's new version.

    `actor` is the console's staff member; `operator` instead names a person at the server's
    command line (not a staff account), kept in the audit detail. Either counts as a person
    acting for the waiting-time span; neither (None, None) is the system.

    `new_state` None keeps the state; `device_note` (the person's message, Indonesian) is sent to
    the device with the state even when the state does not change, with `device_note_en` (its
    English, when the note was generated rather than typed) as `note_en`; `note` is (kind, text)
    for case_notes.
    """
    record_values: dict[str, Any] = {"version": loaded.version + 1, "updated_at": now}
    tell_device = new_state is not None or device_note is not None
    state = new_state or loaded.state
    if tell_device:
        record_values.update(state=state, state_note=device_note)
    done = connection.execute(
        update(records)
        .where(records.c.id == loaded.record_id, records.c.version == loaded.version)
        .values(**record_values)
    )
    if done.rowcount != 1:  # another transaction committed first (PostgreSQL READ COMMITTED)
        current = connection.execute(
            select(records.c.version).where(records.c.id == loaded.record_id)
        ).scalar_one()
        raise StaleEdit(loaded.register_number, loaded.version, current)
    values: dict[str, Any] = {"state": state, **(case_values or {})}
    acted = actor is not None or operator is not None
    values.update(_spans(loaded.case, values, acted=acted, now=now))
    connection.execute(update(cases).where(cases.c.record_id == loaded.record_id).values(**values))
    rollup.add(connection, [(rollup.key_of(loaded.case), _span_delta(loaded.case, values))])
    audit_detail: dict[str, Any] = dict(detail or {})
    if operator is not None:
        audit_detail["operator"] = operator
    if note is not None:
        note_id = connection.execute(
            insert(case_notes)
            .values(
                record_id=loaded.record_id,
                staff_user_id=actor.id if actor else None,
                at=now,
                kind=note[0],
                text=note[1],
            )
            .returning(case_notes.c.id)
        ).scalar_one()
        audit_detail["note_id"] = note_id
    if new_state is not None and new_state != loaded.state:
        audit_detail["from"] = loaded.state
    if tell_device:
        data = {
            "record_kind": loaded.kind,
            "client_id": loaded.client_id,
            "register_number": loaded.register_number,
            "state": state,
            "note": device_note,
        }
        if device_note_en is not None:  # additive: devices that predate it read `note`
            data["note_en"] = device_note_en
        changes.append(
            database,
            connection,
            [changes.NewChange(kind=ChangeKind.STATUS, data=data, device_id=loaded.device_id)],
            now,
        )
    record_staff_action(
        connection,
        at=now,
        staff_user_id=actor.id if actor else None,
        action=action,
        outcome=state,
        client_id=loaded.client_id,
        device_id=loaded.device_id,
        detail=audit_detail,
    )
    return loaded.version + 1


def change_case(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    kind: str,
    permission: Action,
    action_name: str,
    allowed_in: Mapping[str, str | None],
    move: Callable[[str], str | None],
    version: int,
    now: datetime,
    compute: Callable[[Connection, LoadedCase], Mapping[str, Any]] | None = None,
    **write: Any,
) -> int:
    """Load the case with every check, then write one staff action; returns the new version.

    `move(state)` is the new state (None keeps it). `compute(connection, loaded)` adds the
    commit_change arguments that need the loaded case; a `new_state` it returns overrides `move`.
    """
    with db.write() as connection:
        loaded = load_for_change(
            connection,
            actor,
            register_number,
            kind=kind,
            action=permission,
            action_name=action_name,
            version=version,
            allowed_in=allowed_in,
        )
        target = move(loaded.state)
        if compute is not None:
            write = {**write, **compute(connection, loaded)}
        target = write.pop("new_state", target)
        return commit_change(
            db, connection, loaded, actor, action=action_name, now=now, new_state=target, **write
        )


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, round((later - earlier).total_seconds()))


def _spans(
    case: Mapping[str, Any], values: Mapping[str, Any], *, acted: bool, now: datetime
) -> dict[str, Any]:
    """Waiting (to the first staff action) and handling (to the decision) times, in seconds."""
    spans: dict[str, Any] = {}
    if acted and case["first_action_at"] is None:
        spans["first_action_at"] = now
        spans["wait_seconds"] = _seconds(now, case["received_at"])
    if "decided_at" in values:
        decided = values["decided_at"]
        spans["handling_seconds"] = (
            None if decided is None else _seconds(decided, case["received_at"])
        )
    return spans


def _span_delta(case: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, int]:
    """What this change adds to the daily rollup's waiting and handling sums (a reopen subtracts)."""
    delta: dict[str, int] = {}
    if "wait_seconds" in values:
        delta.update(acted=1, wait_seconds=values["wait_seconds"])
    if "handling_seconds" in values:
        before, after = case["handling_seconds"], values["handling_seconds"]
        delta["decided"] = (after is not None) - (before is not None)
        delta["handling_seconds"] = (after or 0) - (before or 0)
    return delta


def device_notes(key: str, written: str = "", **params: Any) -> dict[str, str]:
    """commit_change's `device_note` and `device_note_en`: the generated sentence `key` in each
    language, followed by what the staff member typed (one language, kept as typed). A callable
    parameter is called with the language (a document title or team name in that language)."""
    notes: dict[str, str] = {}
    for name, lang in (("device_note", "id"), ("device_note_en", "en")):
        sentence = text(key, lang, **{k: v(lang) if callable(v) else v for k, v in params.items()})
        notes[name] = f"{sentence} {written}" if written else sentence
    return notes


def clean_text(value: str, what: str, *, limit: int = 2000, required: bool = True) -> str:
    """Staff text, trimmed; StaffError names the field when it is empty or too long."""
    clean = value.strip()
    if required and not clean:
        raise StaffError("text_required", f"{what} is empty", field=what)
    if len(clean) > limit:
        raise StaffError("text_too_long", f"{what} is too long", field=what, limit=limit)
    return clean
