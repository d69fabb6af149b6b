"""Which action a case's state allows and where it leads (pure); overdue.py says when a complaint
is overdue.

States are the kiosk's own (kiosk.domain.complaints/submissions), so every change the console makes
is one a device can apply. What the device has no state for (documents requested, disbursement
scheduled) stays on the server, and reaches the person as the status note.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_

from kiosk.domain.complaints import ComplaintState, can_move
from kiosk.domain.submissions import SubmissionState
from sync.server.staff.roles import Action

C = ComplaintState
S = SubmissionState
OPEN_COMPLAINT = frozenset({C.SYNCED, C.IN_PROGRESS, C.REFERRED, C.REOPENED})
DONE_COMPLAINT = frozenset({C.RESOLVED, C.CLOSED})


class Severity(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Team(StrEnum):
    """Where a complaint can be referred: the seed's teams and outside bodies (DOMAIN.md)."""

    CALL_CENTER = "call_center"
    VERIFICATION = "verification"
    TECHNICAL = "technical"
    SUPERVISOR = "supervisor"
    BANK = "bank"
    DINAS_SOSIAL = "dinas_sosial"
    OMBUDSMAN = "ombudsman"
    POLICE = "police"


class DisbursementStatus(StrEnum):
    SCHEDULED = "scheduled"
    ON_HOLD = "on_hold"
    FAILED = "failed"
    DISBURSED = "disbursed"  # the only one the device has a state for


class Review(StrEnum):
    DOCUMENTS_REQUESTED = "documents_requested"


def _starting(states: frozenset[C], target: C | None) -> dict[str, str | None]:
    return {state.value: (target.value if target else None) for state in states}


# action -> {state it may start from: state it leads to (None: unchanged)}
COMPLAINT_MOVES: Mapping[Action, Mapping[str, str | None]] = {
    # Starting to work on a new or reopened complaint is "in progress" for the complainant.
    Action.CLASSIFY: {
        **_starting(frozenset({C.SYNCED, C.REOPENED}), C.IN_PROGRESS),
        **_starting(frozenset({C.IN_PROGRESS, C.REFERRED}), None),
    },
    Action.ASSIGN: {
        **_starting(frozenset({C.SYNCED, C.REOPENED}), C.IN_PROGRESS),
        **_starting(frozenset({C.IN_PROGRESS, C.REFERRED}), None),
    },
    Action.REFER: {
        **_starting(frozenset({C.SYNCED, C.IN_PROGRESS, C.REOPENED}), C.REFERRED),
        **_starting(frozenset({C.REFERRED}), None),  # passed on again: still referred
    },
    Action.NOTE: _starting(frozenset(C) - {C.QUEUED}, None),
    Action.RESOLVE: _starting(OPEN_COMPLAINT, C.RESOLVED),
    Action.CLOSE: _starting(frozenset({C.RESOLVED}), C.CLOSED),
    Action.REOPEN: _starting(DONE_COMPLAINT, C.REOPENED),
    Action.ESCALATE: _starting(OPEN_COMPLAINT, None),
}

SUBMISSION_MOVES: Mapping[str, Mapping[str, str | None]] = {
    "approve": {S.SYNCED.value: S.VERIFIED.value},
    "reject": {S.SYNCED.value: S.REJECTED.value, S.VERIFIED.value: S.REJECTED.value},
    "request_documents": {S.SYNCED.value: None},
    "set_disbursement": {S.VERIFIED.value: None},
}


def complaint_move(action: Action, state: str) -> tuple[bool, str | None]:
    """(allowed, the new state or None when unchanged) for `action` on a complaint in `state`."""
    moves = COMPLAINT_MOVES.get(action, {})
    if state not in moves:
        return False, None
    target = moves[state]
    # The kiosk's lifecycle has the last word: never send a device a move it would refuse.
    if target is not None and not can_move(C(state), C(target)):
        return False, None
    return True, target


def complaint_actions(state: str) -> tuple[Action, ...]:
    """The complaint actions this state allows, in the matrix's order."""
    return tuple(action for action in COMPLAINT_MOVES if complaint_move(action, state)[0])


def submission_move(action: str, state: str) -> tuple[bool, str | None]:
    moves = SUBMISSION_MOVES.get(action, {})
    if state not in moves:
        return False, None
    return True, moves[state]


def submission_actions(state: str) -> tuple[str, ...]:
    return tuple(action for action in SUBMISSION_MOVES if state in SUBMISSION_MOVES[action])


def is_open(state: str) -> bool:
    return state in OPEN_COMPLAINT


# The console action that brings a record to a state. A state set from the command line is
# written to the audit trail under the same name, so the trail reads alike whichever way it came;
# a state no single console action leads to is recorded as "set_state".
REACHED_BY: Mapping[tuple[str, str], str] = {
    ("submission", S.VERIFIED.value): "approve",
    ("submission", S.REJECTED.value): "reject",
    ("submission", S.DISBURSED.value): "set_disbursement",
    ("complaint", C.RESOLVED.value): Action.RESOLVE.value,
    ("complaint", C.CLOSED.value): Action.CLOSE.value,
    ("complaint", C.REOPENED.value): Action.REOPEN.value,
}


def reached_by(kind: str, state: str) -> str:
    return REACHED_BY.get((kind, state), "set_state")


def decision_values(kind: str, state: str, now: datetime) -> dict[str, Any]:
    """The case columns that reaching `state` sets, whoever brings the record there.

    A decision starts the handling span (decided_at); a reopened complaint is undecided and no
    longer escalated; a paid submission's disbursement is final.
    """
    if (kind, state) in {
        ("submission", S.VERIFIED.value),
        ("submission", S.REJECTED.value),
    }:
        return {"decided_at": now, "review": None}
    if (kind, state) == ("complaint", C.RESOLVED.value):
        return {"decided_at": now}
    if (kind, state) == ("complaint", C.REOPENED.value):
        return {"decided_at": None, "escalated_at": None}
    if (kind, state) == ("submission", S.DISBURSED.value):
        return {"disbursement": DisbursementStatus.DISBURSED.value}
    return {}


def within_area(column: Any, prefix: str) -> Any:
    """`column` (region digits) starts with `prefix`, as a range an index can serve.

    LIKE 'p%' uses a btree index only under the C collation; digit strings compare alike in
    every collation, so the range [p, p+1) is exact and indexable everywhere.
    """
    digits = prefix.replace(".", "").strip()
    clause = column >= digits
    upper = digits.rstrip("9")
    if upper:  # "3199" is below "32"; a prefix of nines has no upper bound
        clause = and_(clause, column < upper[:-1] + str(int(upper[-1]) + 1))
    return clause
