"""A person at the server's command line sets a record's state (`kiosk-server record set-state`).

This is a staff action like the console's and takes the console's one write path
(casework.commit_change): version bump, case row, waiting and handling spans, the daily rollup,
the status change in the device's pull feed, and an audit row saying who. The operator is not a
staff account: their name (given, or the OS user) is kept in the audit detail and shown as
"<name> (kiosk-server)". What reaching a state does to a case and which console action it is
recorded as come from workflow.py, so both ways of making the same change write the same rows.

The transition check stays the device's lifecycle (kiosk.domain), which is what a device can
apply; the console's narrower action table does not bind an administrator. A register number two
records share is refused, never routed to one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kiosk.domain import complaints, submissions
from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number
from sync.server.errors import AdminError, Nested
from sync.server.staff.casework import clean_text, commit_change, device_notes, find_case
from sync.server.staff.workflow import decision_values, reached_by
from sync.server.storage import Database, records

_LIFECYCLES: dict[str, tuple[type[StrEnum], Any]] = {
    "submission": (submissions.SubmissionState, submissions.can_move),
    "complaint": (complaints.ComplaintState, complaints.can_move),
}

# The sentence the console sends with a state when staff type nothing. States missing here need
# the operator's own words (--note), as the console needs a reason or a message for them.
_GENERATED_NOTES = {
    ("submission", "verified"): "staff.device.verified",
    ("submission", "disbursed"): "staff.device.disbursement.disbursed",
    ("complaint", "in_progress"): "staff.device.in_progress",
    ("complaint", "closed"): "staff.device.closed",
    ("complaint", "reopened"): "staff.device.reopened",
}
OPERATOR_LIMIT = 64


@dataclass(frozen=True)
class StateSet:
    register_number: str
    state: str
    version: int


def set_state(
    database: Database,
    register_number: str,
    state: str,
    *,
    operator: str,
    note: str | None = None,
    now: datetime,
) -> StateSet:
    """Move the record numbered `register_number` to `state` on behalf of `operator`."""
    who = " ".join(operator.split())
    if not who or len(who) > OPERATOR_LIMIT:
        raise AdminError("bad_operator", "operator", limit=OPERATOR_LIMIT)
    number = _number(register_number)
    written = clean_text(note, "note", limit=1000, required=False) if note else ""
    with database.write() as connection:
        kind = _only_kind(connection, number)
        loaded = find_case(connection, number, kind)
        assert loaded is not None  # _only_kind found it in this transaction
        target = _target(kind, loaded.state, state)
        device_note, device_note_en = _device_note(kind, target, written)
        version = commit_change(
            database,
            connection,
            loaded,
            None,
            operator=who,
            action=reached_by(kind, target),
            now=now,
            new_state=target,
            case_values=decision_values(kind, target, now),
            note=("message", written) if written else None,
            device_note=device_note,
            device_note_en=device_note_en,
        )
    return StateSet(register_number=number, state=target, version=version)


def _number(register_number: str) -> str:
    try:
        return str(parse_register_number(register_number))
    except RegisterNumberError as exc:
        raise AdminError(
            "bad_register_number", "register number", reason=Nested(exc.reason)
        ) from None


def _only_kind(connection: Connection, number: str) -> str:
    """The kind of the one record numbered `number`; none or several is an AdminError."""
    kinds = (
        connection.execute(select(records.c.kind).where(records.c.register_number == number))
        .scalars()
        .all()
    )
    if not kinds:
        raise AdminError("record_not_found", "no record", register_number=number)
    if len(kinds) > 1:
        # Which one the operator meant cannot be told from the number; the message names only
        # the number, not the devices or people behind the records.
        raise AdminError("record_ambiguous", "several records", register_number=number)
    return str(kinds[0])


def _target(kind: str, current: str, state: str) -> str:
    """`state` if the device's lifecycle allows the move from `current`, else an AdminError."""
    states, can_move = _LIFECYCLES[kind]
    allowed = ", ".join(s.value for s in states if can_move(states(current), s)) or "-"
    try:
        target = states(state)
    except ValueError:
        raise AdminError("bad_state", "unknown state", state=state, allowed=allowed) from None
    if not can_move(states(current), target):
        raise AdminError("transition", "not allowed", current=current, state=state, allowed=allowed)
    return str(target.value)


def _device_note(kind: str, target: str, written: str) -> tuple[str, str | None]:
    """What the device shows (and its English when generated): the operator's words as typed,
    else the sentence the console sends."""
    if written:
        return written, None
    key = _GENERATED_NOTES.get((kind, target))
    if key is None:
        raise AdminError("note_required", "note required", state=target)
    notes = device_notes(key)
    return notes["device_note"], notes["device_note_en"]
