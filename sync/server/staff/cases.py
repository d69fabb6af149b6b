"""Complaint handling: the queue by SLA due date, a case's detail, and the handling actions.

Every mutation takes the staff member, the register number and the `version` they read; see
casework.py for the checks. Status changes reach the complainant's kiosk through the pull feed,
with the message staff wrote for them as the status note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.engine import Connection

from kiosk.domain.complaints import ComplaintCategory, ComplaintState, deadlines_for
from kiosk.i18n import text
from sync.server.errors import BadFilter, StaffError, StaffNotFound
from sync.server.staff.accounts import StaffUser
from sync.server.staff.casework import change_case, clean_text, device_notes, viewing
from sync.server.staff.history import HistoryEntry, case_history, record_staff_action
from sync.server.staff.intake import catch_up, deadlines_start
from sync.server.staff.masking import mask_number, mask_numbers_in_text
from sync.server.staff.overdue import CaseClock, is_overdue, overdue_condition
from sync.server.staff.roles import Action, Role
from sync.server.staff.workflow import (
    COMPLAINT_MOVES,
    OPEN_COMPLAINT,
    Severity,
    Team,
    complaint_actions,
    complaint_move,
    decision_values,
    within_area,
)
from sync.server.storage import Database, case_notes, cases, records, staff_users

MAX_QUEUE = 500


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows; the default is every open complaint."""

    states: tuple[str, ...] | None = None  # None: the open states
    category: str | None = None
    team: str | None = None
    assignee: str | None = None  # a staff name
    area_prefix: str | None = None
    overdue_only: bool = False
    escalated_only: bool = False
    limit: int = 200


@dataclass(frozen=True)
class ComplaintRow:
    register_number: str
    category: str | None
    severity: str | None
    state: str
    assignee: str | None
    team: str | None
    due_at: datetime | None  # the next deadline: first response while unanswered, else resolution
    overdue: bool
    escalated: bool
    area: str
    received_at: datetime
    version: int
    program: str | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None


@dataclass(frozen=True)
class Note:
    at: datetime
    who: str | None
    kind: str  # note | message (for the complainant) | referral | reason
    text: str


@dataclass(frozen=True)
class ComplaintCase:
    row: ComplaintRow
    description: str  # numbers in it masked
    complainant_name: str | None
    complainant_nik: str | None  # masked unless the viewer's role needs it
    complainant_phone: str | None  # masked likewise
    related_register_number: str | None
    message: str | None  # the last message the complainant was sent
    notes: tuple[Note, ...]
    history: tuple[HistoryEntry, ...]
    actions: tuple[Action, ...]  # allowed in this state (and for the viewer's role, when given)


def _next_due(row: Any) -> datetime | None:
    unanswered = row.first_action_at is None and row.first_response_due is not None
    if unanswered and (row.due_at is None or row.first_response_due < row.due_at):
        return row.first_response_due  # type: ignore[no-any-return]
    return row.due_at  # type: ignore[no-any-return]


def _overdue_clause(now: datetime) -> Any:
    columns = CaseClock(
        cases.c.state, cases.c.due_at, cases.c.first_response_due, cases.c.first_action_at
    )
    return overdue_condition(columns, now)


def _queue_select() -> Any:
    return (
        select(
            records.c.register_number,
            records.c.version,
            cases.c.category,
            cases.c.severity,
            cases.c.state,
            cases.c.team,
            cases.c.area,
            cases.c.program,
            cases.c.received_at,
            cases.c.due_at,
            cases.c.first_response_due,
            cases.c.first_action_at,
            cases.c.escalated_at,
            staff_users.c.name.label("assignee"),
        )
        .select_from(cases)
        .join(records, records.c.id == cases.c.record_id)
        .outerjoin(staff_users, staff_users.c.id == cases.c.assignee_id)
        .where(cases.c.kind == "complaint")
    )


def _row(row: Any, now: datetime) -> ComplaintRow:
    return ComplaintRow(
        register_number=row.register_number,
        category=row.category,
        severity=row.severity,
        state=row.state,
        assignee=row.assignee,
        team=row.team,
        due_at=_next_due(row),
        overdue=is_overdue(
            state=row.state,
            due_at=row.due_at,
            first_response_due=row.first_response_due,
            first_action_at=row.first_action_at,
            now=now,
        ),
        escalated=row.escalated_at is not None,
        area=row.area,
        received_at=row.received_at,
        version=row.version,
        program=row.program,
        first_response_due=row.first_response_due,
        resolution_due=row.due_at,
    )


def complaint_queue(
    db: Database, *, now: datetime, filters: QueueFilters | None = None
) -> list[ComplaintRow]:
    """Complaints ordered by their next SLA deadline, the most urgent first."""
    filters = filters or QueueFilters()
    if not 1 <= filters.limit <= MAX_QUEUE:
        raise BadFilter("limit", "out_of_range", minimum=1, maximum=MAX_QUEUE)
    catch_up(db, now=now)
    query = _queue_select()
    states = filters.states or tuple(s.value for s in OPEN_COMPLAINT)
    query = query.where(cases.c.state.in_(states))
    if filters.category:
        query = query.where(cases.c.category == filters.category)
    if filters.team:
        query = query.where(cases.c.team == filters.team)
    if filters.assignee:
        query = query.where(staff_users.c.name == filters.assignee)
    if filters.area_prefix:
        query = query.where(within_area(cases.c.area, filters.area_prefix))
    if filters.overdue_only:
        query = query.where(_overdue_clause(now))
    if filters.escalated_only:
        query = query.where(cases.c.escalated_at.is_not(None))
    next_due = case(
        (
            and_(
                cases.c.first_action_at.is_(None),
                cases.c.first_response_due.is_not(None),
                or_(cases.c.due_at.is_(None), cases.c.first_response_due < cases.c.due_at),
            ),
            cases.c.first_response_due,
        ),
        else_=cases.c.due_at,
    )
    query = query.order_by(next_due.is_(None), next_due, cases.c.record_id).limit(filters.limit)
    with db.read() as connection:
        return [_row(row, now) for row in connection.execute(query)]


def complaint_detail(
    db: Database, register_number: str, *, now: datetime, viewer: StaffUser | None = None
) -> ComplaintCase:
    """One complaint with the complainant's text, notes, history and the actions open now."""
    with viewing(db, register_number, "complaint") as (connection, loaded):
        row = connection.execute(_queue_select().where(cases.c.record_id == loaded.record_id)).one()
        body_text, message = connection.execute(
            select(records.c.body, records.c.state_note).where(records.c.id == loaded.record_id)
        ).one()
        body = json.loads(body_text)
        notes = _notes(connection, loaded.record_id)
        history = case_history(connection, loaded.client_id)
    reveal = viewer is not None and viewer.can(Action.VIEW_IDENTITY)
    complainant = body.get("complainant") or {}
    actions = complaint_actions(row.state)
    if viewer is not None:
        actions = tuple(a for a in actions if viewer.can(a))
    nik, phone = complainant.get("nik"), complainant.get("phone")
    return ComplaintCase(
        row=_row(row, now),
        description=mask_numbers_in_text(str(body.get("description") or "")),
        complainant_name=complainant.get("name"),
        complainant_nik=nik if reveal else mask_number(nik),
        complainant_phone=phone if reveal else mask_number(phone, keep_start=0),
        related_register_number=body.get("related_register_number"),
        message=message,
        notes=notes,
        history=history,
        actions=actions,
    )


def _notes(connection: Connection, record_id: int) -> tuple[Note, ...]:
    rows = connection.execute(
        select(case_notes.c.at, case_notes.c.kind, case_notes.c.text, staff_users.c.name)
        .outerjoin(staff_users, staff_users.c.id == case_notes.c.staff_user_id)
        .where(case_notes.c.record_id == record_id)
        .order_by(case_notes.c.id)
    )
    return tuple(Note(row.at, row.name, row.kind, row.text) for row in rows)


def _change(
    db: Database,
    actor: StaffUser,
    register_number: str,
    action: Action,
    **write: Any,
) -> int:
    """One complaint action through casework.change_case; `write` goes on to it."""
    return change_case(
        db,
        actor,
        register_number,
        kind="complaint",
        permission=action,
        action_name=action.value,
        allowed_in=COMPLAINT_MOVES[action],
        move=lambda state: complaint_move(action, state)[1],
        **write,
    )


def _in_progress_notes(target_team: str | None = None) -> dict[str, str]:
    """The device note, in Indonesian and in English, for a complaint being handled."""
    if target_team:
        return device_notes(
            "staff.device.referred", team=lambda lang: text(f"staff.team.{target_team}", lang)
        )
    return device_notes("staff.device.in_progress")


def classify(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    category: str,
    severity: str,
) -> int:
    """Set the category (it fixes the resolution deadline) and severity; returns the version."""
    try:
        chosen = ComplaintCategory(category)
    except ValueError:
        allowed = ", ".join(c.value for c in ComplaintCategory)
        raise StaffError("bad_category", category, category=category, allowed=allowed) from None
    try:
        level = Severity(severity)
    except ValueError:
        allowed = ", ".join(s.value for s in Severity)
        raise StaffError("bad_severity", severity, severity=severity, allowed=allowed) from None

    def compute(connection: Connection, loaded: Any) -> dict[str, Any]:
        filed = connection.execute(
            select(records.c.body, records.c.server_verdict, records.c.received_at).where(
                records.c.id == loaded.record_id
            )
        ).one()
        # From when the server counts, never from a device clock it did not believe.
        start = deadlines_start(
            json.loads(filed.body), json.loads(filed.server_verdict), filed.received_at
        )
        due = deadlines_for(chosen, start).resolution
        moving = complaint_move(Action.CLASSIFY, loaded.state)[1] is not None
        return {
            "case_values": {"category": chosen.value, "severity": level.value, "due_at": due},
            **(_in_progress_notes() if moving else {}),
        }

    return _change(
        db,
        actor,
        register_number,
        Action.CLASSIFY,
        version=version,
        now=now,
        compute=compute,
        detail={"category": chosen.value, "severity": level.value},
    )


def assign(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    assignee: str,
) -> int:
    """Give the case to a staff member who handles complaints; returns the new version."""

    def compute(connection: Connection, loaded: Any) -> dict[str, Any]:
        found = connection.execute(
            select(staff_users.c.id, staff_users.c.role, staff_users.c.disabled_at).where(
                staff_users.c.name == " ".join(assignee.split())
            )
        ).first()
        if found is None or found.disabled_at is not None:
            raise StaffNotFound("assignee", assignee)
        if Role(found.role) is Role.ADMIN:
            raise StaffError("assignee_cannot_handle", assignee, name=assignee)
        moving = complaint_move(Action.ASSIGN, loaded.state)[1] is not None
        return {
            "case_values": {"assignee_id": found.id},
            **(_in_progress_notes() if moving else {}),
            "detail": {"assignee_id": found.id},
        }

    return _change(
        db, actor, register_number, Action.ASSIGN, version=version, now=now, compute=compute
    )


def refer(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    to_team: str,
    note: str,
) -> int:
    """Pass the case to another team or body; the complainant is told where it went."""
    try:
        team = Team(to_team)
    except ValueError:
        allowed = ", ".join(t.value for t in Team)
        raise StaffError("bad_team", to_team, team=to_team, allowed=allowed) from None
    written = clean_text(note, "note")
    return _change(
        db,
        actor,
        register_number,
        Action.REFER,
        version=version,
        now=now,
        case_values={"team": team.value},
        note=("referral", written),
        **_in_progress_notes(team.value),
        detail={"team": team.value},
    )


def add_note(
    db: Database, actor: StaffUser, register_number: str, *, version: int, now: datetime, text: str
) -> int:
    """An internal note; the complainant does not see it."""
    written = clean_text(text, "note")
    return _change(
        db, actor, register_number, Action.NOTE, version=version, now=now, note=("note", written)
    )


def resolve(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    message: str,
) -> int:
    """Resolve with a message for the complainant, which their kiosk shows as the status note."""
    written = clean_text(message, "message", limit=1000)
    return _change(
        db,
        actor,
        register_number,
        Action.RESOLVE,
        version=version,
        now=now,
        case_values=decision_values("complaint", ComplaintState.RESOLVED, now),
        note=("message", written),
        device_note=written,
    )


def close(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    note: str = "",
) -> int:
    """Close a resolved complaint after following up with the complainant."""
    written = clean_text(note, "note", required=False)
    return _change(
        db,
        actor,
        register_number,
        Action.CLOSE,
        version=version,
        now=now,
        note=("note", written) if written else None,
        **device_notes("staff.device.closed"),
    )


def reopen(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    reason: str,
) -> int:
    """Reopen a resolved or closed complaint; the reason is kept, the complainant is told."""
    written = clean_text(reason, "reason")
    return _change(
        db,
        actor,
        register_number,
        Action.REOPEN,
        version=version,
        now=now,
        case_values=decision_values("complaint", ComplaintState.REOPENED, now),
        note=("reason", written),
        **device_notes("staff.device.reopened"),
    )


def escalate(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    note: str,
) -> int:
    """Raise the case to a supervisor (a complex case, or one that needs direction)."""
    written = clean_text(note, "note")
    return _change(
        db,
        actor,
        register_number,
        Action.ESCALATE,
        version=version,
        now=now,
        case_values={"escalated_at": now, "team": Team.SUPERVISOR.value},
        note=("note", written),
        detail={"reason": "manual"},
    )


def escalate_overdue(db: Database, *, now: datetime) -> int:
    """Every open complaint past a deadline and not yet escalated goes to the supervisors."""
    catch_up(db, now=now)
    escalated = 0
    with db.write() as connection:
        due = connection.execute(
            select(cases.c.record_id, records.c.client_id, records.c.device_id)
            .join(records, records.c.id == cases.c.record_id)
            .where(
                cases.c.kind == "complaint", cases.c.escalated_at.is_(None), _overdue_clause(now)
            )
            .order_by(cases.c.record_id)
        ).all()
        for row in due:
            # The version moves, so a staff member holding the case sees it changed.
            connection.execute(
                update(records)
                .where(records.c.id == row.record_id)
                .values(version=records.c.version + 1, updated_at=now)
            )
            connection.execute(
                update(cases)
                .where(cases.c.record_id == row.record_id)
                .values(escalated_at=now, team=Team.SUPERVISOR.value)
            )
            escalated += 1
        # After every row is changed: the trail's head lock is taken last, as ingest does, so
        # this transaction never waits for a record while holding the head.
        for row in due:
            record_staff_action(
                connection,
                at=now,
                staff_user_id=None,
                action="escalate",
                outcome="overdue",
                client_id=row.client_id,
                device_id=row.device_id,
                detail={"reason": "overdue"},
            )
    return escalated
