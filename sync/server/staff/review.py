"""Submission review: the documents' photos beside the checklist, the data against the roster, and
the decision (approve, reject with a reason, request missing documents), then disbursement.

Decisions reach the kiosk and the self-check screen through the pull feed: the state when the
kiosk has one for it (verified, rejected, disbursed), otherwise the status note says what to do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kiosk.domain.requirements import ProgramRules, Texts, evaluate
from kiosk.domain.submissions import SubmissionState
from sync.server.errors import BadFilter, StaffError
from sync.server.rules import RuleBook
from sync.server.staff.accounts import StaffUser
from sync.server.staff.cases import Note, _notes
from sync.server.staff.casework import (
    LoadedCase,
    change_case,
    clean_text,
    device_notes,
    viewing,
)
from sync.server.staff.checks import Mismatch, roster_mismatches
from sync.server.staff.history import HistoryEntry, case_history
from sync.server.staff.intake import catch_up
from sync.server.staff.masking import mask_account, mask_number
from sync.server.staff.roles import Action
from sync.server.staff.workflow import (
    SUBMISSION_MOVES,
    DisbursementStatus,
    Review,
    decision_values,
    submission_actions,
    submission_move,
    within_area,
)
from sync.server.storage import Database, cases, records, roster

MAX_QUEUE = 500


@dataclass(frozen=True)
class ReviewFilters:
    """What the review queue shows; the default is everything waiting for a decision."""

    states: tuple[str, ...] = (SubmissionState.SYNCED.value,)
    program: str | None = None
    stage: int | None = None
    area_prefix: str | None = None
    mismatch_only: bool = False
    incomplete_only: bool = False
    limit: int = 200


@dataclass(frozen=True)
class SubmissionRow:
    register_number: str
    program: str | None
    stage: int | None
    area: str
    state: str
    review: str | None  # documents_requested while the person brings them
    complete: bool | None
    first_visit: bool | None
    mismatch: bool | None
    disbursement: str | None
    received_at: datetime
    version: int


@dataclass(frozen=True)
class ChecklistLine:
    document: str
    title: Texts
    satisfied: bool
    why: Texts


@dataclass(frozen=True)
class Photo:
    """A document photo: the console reads its bytes from the server's BlobStore by SHA-256."""

    document: str
    sha256: str


@dataclass(frozen=True)
class SubmissionCase:
    row: SubmissionRow
    applicant_name: str | None
    applicant_nik: str | None  # masked unless the viewer's role needs it
    applicant_kk: str | None
    collector: str | None  # "name (relation)"
    bank: str | None
    account: str | None
    checklist: tuple[ChecklistLine, ...]
    missing_facts: tuple[str, ...]
    photos: tuple[Photo, ...]
    mismatches: tuple[Mismatch, ...]
    state: str
    disbursement: str | None
    version: int
    message: str | None  # the last status note the person was sent
    notes: tuple[Note, ...]
    history: tuple[HistoryEntry, ...]
    actions: tuple[str, ...]


def _row(row: Any) -> SubmissionRow:
    return SubmissionRow(
        register_number=row.register_number,
        program=row.program,
        stage=row.stage,
        area=row.area,
        state=row.state,
        review=row.review,
        complete=row.complete,
        first_visit=row.first_visit,
        mismatch=row.mismatch,
        disbursement=row.disbursement,
        received_at=row.received_at,
        version=row.version,
    )


def _queue_select() -> Any:
    return (
        select(
            records.c.register_number,
            records.c.version,
            cases.c.program,
            cases.c.stage,
            cases.c.area,
            cases.c.state,
            cases.c.review,
            cases.c.complete,
            cases.c.first_visit,
            cases.c.mismatch,
            cases.c.disbursement,
            cases.c.received_at,
        )
        .select_from(cases)
        .join(records, records.c.id == cases.c.record_id)
        .where(cases.c.kind == "submission")
    )


def review_queue(
    db: Database, *, now: datetime, filters: ReviewFilters | None = None
) -> list[SubmissionRow]:
    """Submissions waiting longest first."""
    filters = filters or ReviewFilters()
    if not 1 <= filters.limit <= MAX_QUEUE:
        raise BadFilter("limit", "out_of_range", minimum=1, maximum=MAX_QUEUE)
    catch_up(db, now=now)
    query = _queue_select().where(cases.c.state.in_(filters.states))
    if filters.program:
        query = query.where(cases.c.program == filters.program)
    if filters.stage is not None:
        query = query.where(cases.c.stage == filters.stage)
    if filters.area_prefix:
        query = query.where(within_area(cases.c.area, filters.area_prefix))
    if filters.mismatch_only:
        query = query.where(cases.c.mismatch.is_(True))
    if filters.incomplete_only:
        query = query.where(cases.c.complete.is_(False))
    query = query.order_by(cases.c.received_at, cases.c.record_id).limit(filters.limit)
    with db.read() as connection:
        return [_row(row) for row in connection.execute(query)]


def submission_detail(
    db: Database,
    register_number: str,
    *,
    viewer: StaffUser | None = None,
    rules: Any = None,
) -> SubmissionCase:
    """One submission as a reviewer sees it. `rules` is a RuleSource (default: those in force)."""
    source = rules if rules is not None else RuleBook(db).snapshot()
    with viewing(db, register_number, "submission") as (connection, loaded):
        row = connection.execute(_queue_select().where(cases.c.record_id == loaded.record_id)).one()
        body_text, message = connection.execute(
            select(records.c.body, records.c.state_note).where(records.c.id == loaded.record_id)
        ).one()
        body = json.loads(body_text)
        entry = _roster_entry(connection, row.program, (body.get("applicant") or {}).get("nik"))
        notes = _notes(connection, loaded.record_id)
        history = case_history(connection, loaded.client_id)
    reveal = viewer is not None and viewer.can(Action.VIEW_IDENTITY)
    applicant = body.get("applicant") or {}
    collector = body.get("collector")
    account = body.get("bank_account") or {}
    lines, missing_facts = _checklist(source.rules_for(row.program or ""), body)
    actions = submission_actions(row.state)
    if viewer is not None and not viewer.can(Action.REVIEW):
        actions = tuple(a for a in actions if a == "set_disbursement")
    if viewer is not None and not viewer.can(Action.SET_DISBURSEMENT):
        actions = tuple(a for a in actions if a != "set_disbursement")
    return SubmissionCase(
        row=_row(row),
        applicant_name=applicant.get("name"),
        applicant_nik=applicant.get("nik") if reveal else mask_number(applicant.get("nik")),
        applicant_kk=applicant.get("kk") if reveal else mask_number(applicant.get("kk")),
        collector=f"{collector['name']} ({collector['relation']})" if collector else None,
        bank=account.get("bank"),
        account=account.get("account") if reveal else mask_account(account.get("account")),
        checklist=lines,
        missing_facts=missing_facts,
        photos=tuple(
            Photo(str(d["document"]), str(d["photo_sha256"]))
            for d in body.get("documents") or ()
            if d.get("photo_sha256")
        ),
        mismatches=roster_mismatches(body, entry, reveal=reveal),
        state=row.state,
        disbursement=row.disbursement,
        version=row.version,
        message=message,
        notes=notes,
        history=history,
        actions=actions,
    )


def _roster_entry(
    connection: Connection, program: str | None, nik: Any
) -> Mapping[str, Any] | None:
    if not program or not isinstance(nik, str):
        return None
    found = connection.execute(
        select(roster.c.entry).where(
            roster.c.program == program, roster.c.nik == nik, roster.c.removed.is_(False)
        )
    ).scalar()
    return json.loads(found) if found else None


def _checklist(
    rules: ProgramRules | None, body: Mapping[str, Any]
) -> tuple[tuple[ChecklistLine, ...], tuple[str, ...]]:
    """The checklist under the rules in force now (they may be newer than at arrival)."""
    if rules is None or not isinstance(body.get("stage"), int):
        return (), ()
    held = {str(d.get("document")) for d in body.get("documents") or ()}
    try:
        checked = evaluate(rules, body["stage"], body.get("facts") or {}, held)
    except Exception:  # a stage the newer rules no longer have: show no checklist, not a crash
        return (), ()
    lines = tuple(
        ChecklistLine(item.document, item.title, item.satisfied, item.why) for item in checked.items
    )
    return lines, checked.missing_facts


def _change(
    db: Database,
    actor: StaffUser,
    register_number: str,
    action: str,
    permission: Action,
    **write: Any,
) -> int:
    """One review action through casework.change_case; `write` goes on to it."""
    return change_case(
        db,
        actor,
        register_number,
        kind="submission",
        permission=permission,
        action_name=action,
        allowed_in=SUBMISSION_MOVES[action],
        move=lambda state: submission_move(action, state)[1],
        **write,
    )


def approve(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    note: str = "",
) -> int:
    """Documents and data are in order: verified. Returns the new version."""
    written = clean_text(note, "note", required=False)
    return _change(
        db,
        actor,
        register_number,
        "approve",
        Action.REVIEW,
        version=version,
        now=now,
        case_values=decision_values("submission", SubmissionState.VERIFIED, now),
        note=("note", written) if written else None,
        **device_notes("staff.device.verified"),
    )


def reject(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    reason: str,
) -> int:
    """Not accepted; the reason is what the person reads on the kiosk, so say what to do."""
    written = clean_text(reason, "reason", limit=1000)
    return _change(
        db,
        actor,
        register_number,
        "reject",
        Action.REVIEW,
        version=version,
        now=now,
        case_values=decision_values("submission", SubmissionState.REJECTED, now),
        note=("reason", written),
        device_note=written,
    )


def request_documents(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    documents: Sequence[str],
    note: str = "",
    rules: Any = None,
) -> int:
    """Ask the person for documents (ids of the program's rule file); the kiosk shows the list."""
    if not documents:
        raise StaffError("documents_required", "no documents named", field="documents")
    written = clean_text(note, "note", required=False)
    source = rules if rules is not None else RuleBook(db).snapshot()

    def compute(connection: Connection, loaded: LoadedCase) -> dict[str, Any]:
        program = loaded.case.get("program") or ""
        known = source.rules_for(program)
        titles = {d.id: d.title for d in known.documents} if known else {}
        unknown = [d for d in documents if d not in titles]
        if unknown:
            raise StaffError(
                "unknown_document",
                "document not in the program's rules",
                document=", ".join(unknown),
                program=program,
            )
        notes = device_notes(
            "staff.device.documents_requested",
            written,
            documents=lambda lang: ", ".join(
                titles[d].get(lang) or titles[d].get("id", d) for d in documents
            ),
        )
        return {
            "case_values": {"review": Review.DOCUMENTS_REQUESTED.value},
            **notes,
            "note": ("message", notes["device_note"]),
            "detail": {"documents": sorted(set(documents))},
        }

    return _change(
        db,
        actor,
        register_number,
        "request_documents",
        Action.REVIEW,
        version=version,
        now=now,
        compute=compute,
    )


def set_disbursement(
    db: Database,
    actor: StaffUser,
    register_number: str,
    *,
    version: int,
    now: datetime,
    status: str,
    note: str = "",
) -> int:
    """Where the money stands for a verified submission; `disbursed` is final."""
    try:
        chosen = DisbursementStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in DisbursementStatus)
        raise StaffError("bad_disbursement", status, status=status, allowed=allowed) from None
    written = clean_text(note, "note", required=False)
    notes = device_notes(f"staff.device.disbursement.{chosen.value}", written)
    new_state = SubmissionState.DISBURSED.value if chosen is DisbursementStatus.DISBURSED else None
    return _change(
        db,
        actor,
        register_number,
        "set_disbursement",
        Action.SET_DISBURSEMENT,
        version=version,
        now=now,
        case_values={"disbursement": chosen.value},
        note=("message", notes["device_note"]),
        **notes,
        new_state=new_state,
        detail={"disbursement": chosen.value},
    )
