"""Edges of the case workflow's pure rules: moves outside the matrix, the audit name of a state,
the columns a decision sets, and the overdue rule read as a value rather than only as a filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, not_, select

from kiosk.domain.complaints import ComplaintState
from kiosk.domain.submissions import SubmissionState
from sync.server.staff import workflow
from sync.server.staff.overdue import CaseClock, is_overdue, overdue_condition
from sync.server.staff.roles import Action
from sync.server.staff.workflow import (
    complaint_move,
    decision_values,
    is_open,
    reached_by,
    submission_actions,
    submission_move,
)
from sync.server.storage import UtcDateTime

NOW = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("action", [Action.REVIEW, Action.EXPORT, Action.VIEW_COMPLAINTS])
def test_an_action_that_is_not_a_complaint_move_is_refused_in_every_state(action):
    for state in ComplaintState:
        assert complaint_move(action, state.value) == (False, None)


def test_a_move_the_matrix_lists_but_the_kiosk_refuses_is_not_allowed(monkeypatch):
    # Today every listed move is one the device accepts; the guard is for the day one is not.
    monkeypatch.setitem(workflow.COMPLAINT_MOVES, Action.CLOSE, {"synced": "closed"})
    assert complaint_move(Action.CLOSE, "synced") == (False, None)


def test_a_submission_move_gives_the_state_it_leads_to_or_none_when_the_state_stays():
    assert submission_move("approve", "synced") == (True, "verified")
    assert submission_move("reject", "verified") == (True, "rejected")
    assert submission_move("request_documents", "synced") == (True, None)
    assert submission_move("set_disbursement", "verified") == (True, None)


def test_a_submission_move_from_a_state_it_does_not_start_from_is_refused():
    assert submission_move("approve", "rejected") == (False, None)
    assert submission_move("approve", "verified") == (False, None)
    assert submission_move("set_disbursement", "synced") == (False, None)


def test_an_unknown_submission_action_is_refused_not_an_error():
    assert submission_move("approve_everything", "synced") == (False, None)
    assert "approve_everything" not in submission_actions("synced")


def test_a_complaint_is_open_from_sync_until_it_is_resolved_and_again_once_reopened():
    opened = {state.value for state in ComplaintState if is_open(state.value)}
    assert opened == {"synced", "in_progress", "referred", "reopened"}


def test_a_state_no_single_console_action_leads_to_is_audited_as_set_state():
    assert reached_by("complaint", "in_progress") == "set_state"
    assert reached_by("submission", "synced") == "set_state"
    # The kind matters: "resolved" is a complaint's state, not a submission's.
    assert reached_by("submission", "resolved") == "set_state"
    assert reached_by("complaint", "resolved") == "resolve"
    assert reached_by("submission", "disbursed") == "set_disbursement"


def test_rejecting_a_submission_is_a_decision_that_clears_a_documents_request():
    assert decision_values("submission", SubmissionState.REJECTED.value, NOW) == {
        "decided_at": NOW,
        "review": None,
    }


def test_reopening_a_complaint_undecides_it_and_lifts_its_escalation():
    assert decision_values("complaint", ComplaintState.REOPENED.value, NOW) == {
        "decided_at": None,
        "escalated_at": None,
    }


def test_a_paid_submission_records_its_disbursement_as_final():
    assert decision_values("submission", SubmissionState.DISBURSED.value, NOW) == {
        "disbursement": "disbursed"
    }


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        ("complaint", "in_progress"),
        ("complaint", "referred"),
        ("complaint", "closed"),
        ("submission", "synced"),
        ("complaint", "disbursed"),  # a submission's state under the wrong kind
        ("submission", "reopened"),  # a complaint's state under the wrong kind
    ],
)
def test_a_state_that_is_no_decision_sets_no_case_column(kind, state):
    assert decision_values(kind, state, NOW) == {}


HOUR = timedelta(hours=1)
# (state, resolution deadline, first-response deadline, first action)
CLOCKS = [
    ("synced", None, None, None),  # no deadline at all: never overdue, and known not to be
    ("in_progress", None, None, NOW - HOUR),
    ("in_progress", NOW - HOUR, None, NOW - HOUR),
    ("synced", None, NOW - HOUR, None),
    ("synced", None, NOW + HOUR, None),
    ("referred", NOW + HOUR, NOW - HOUR, NOW - 2 * HOUR),
    ("resolved", NOW - HOUR, NOW - HOUR, None),
]


def test_the_sql_overdue_condition_is_true_or_false_never_unknown_and_agrees_with_python():
    """Read as a value (or negated, for "not overdue"), a missing deadline must be false, not
    NULL: NULL would drop the case from both a filter and its negation."""
    table = Table(
        "clocks",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("state", String(20)),
        Column("due_at", UtcDateTime),
        Column("first_response_due", UtcDateTime),
        Column("first_action_at", UtcDateTime),
    )
    columns = CaseClock(
        table.c.state, table.c.due_at, table.c.first_response_due, table.c.first_action_at
    )
    condition = overdue_condition(columns, NOW)
    with create_engine("sqlite://").connect() as connection:
        table.create(connection)
        for number, (state, due, first_due, acted) in enumerate(CLOCKS):
            connection.execute(
                insert(table).values(
                    id=number,
                    state=state,
                    due_at=due,
                    first_response_due=first_due,
                    first_action_at=acted,
                )
            )
        read = {
            number: value for number, value in connection.execute(select(table.c.id, condition))
        }
        not_overdue = set(connection.execute(select(table.c.id).where(not_(condition))).scalars())
    expected = {
        number: is_overdue(
            state=state, due_at=due, first_response_due=first_due, first_action_at=acted, now=NOW
        )
        for number, (state, due, first_due, acted) in enumerate(CLOCKS)
    }
    assert {number: bool(value) for number, value in read.items()} == expected
    assert None not in read.values()
    assert not_overdue == {number for number, late in expected.items() if not late}
