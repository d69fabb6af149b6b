"""The role matrix: each role does its own part of the chain and nothing of another's."""

from __future__ import annotations

import pytest

from sync.server.staff.roles import PERMISSIONS, Action, Role, actions_of, allowed
from sync.server.staff.workflow import complaint_actions, complaint_move


@pytest.mark.parametrize(
    "action", [Action.ASSIGN, Action.REOPEN, Action.SET_DISBURSEMENT, Action.MANAGE_USERS]
)
def test_a_verifier_cannot_do_a_supervisors_or_admins_action(action):
    assert not allowed(Role.VERIFIER, action)


def test_only_the_admin_manages_accounts_and_the_admin_handles_no_case():
    assert [role for role in Role if allowed(role, Action.MANAGE_USERS)] == [Role.ADMIN]
    handling = {Action.CLASSIFY, Action.RESOLVE, Action.REVIEW, Action.ASSIGN, Action.NOTE}
    assert not actions_of(Role.ADMIN) & handling


def test_the_technical_team_resolves_referred_problems_but_does_not_review_submissions():
    assert allowed(Role.TECHNICAL, Action.RESOLVE) and allowed(Role.TECHNICAL, Action.REFER)
    assert not allowed(Role.TECHNICAL, Action.REVIEW)
    assert not allowed(Role.TECHNICAL, Action.VIEW_IDENTITY)


def test_every_action_belongs_to_someone_and_unknown_names_are_never_allowed():
    assert set(PERMISSIONS) == set(Action)
    assert all(PERMISSIONS[action] for action in Action)
    assert not allowed("janitor", Action.NOTE)
    assert not allowed(Role.SUPERVISOR, "launch_rockets")


def test_a_closed_complaint_allows_only_a_note_or_reopening():
    assert set(complaint_actions("closed")) == {Action.NOTE, Action.REOPEN}
    assert complaint_move(Action.RESOLVE, "closed") == (False, None)
    assert complaint_move(Action.RESOLVE, "referred") == (True, "resolved")
    assert complaint_move(Action.CLASSIFY, "synced") == (True, "in_progress")
    assert complaint_move(Action.CLASSIFY, "referred") == (True, None)  # stays referred


@pytest.mark.parametrize(
    ("prefix", "inside", "outside"),
    [
        ("31", ["31", "3174", "3199999999"], ["30", "32", "3"]),
        ("39", ["3901", "3999"], ["40", "38"]),
        ("99", ["99", "9971"], ["98"]),
        ("31.74", ["3174", "317401"], ["3175", "3173", "31"]),
    ],
)
def test_an_area_prefix_is_a_range_that_holds_exactly_its_regions(prefix, inside, outside):
    from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

    from sync.server.staff.workflow import within_area

    codes = Table("codes", MetaData(), Column("area", String(13)))
    with create_engine("sqlite://").connect() as connection:
        codes.create(connection)
        connection.execute(insert(codes), [{"area": code} for code in inside + outside])
        found = connection.execute(select(codes.c.area).where(within_area(codes.c.area, prefix)))
        assert sorted(row[0] for row in found) == sorted(inside)


def test_every_move_the_console_makes_is_one_the_kiosk_accepts():
    from kiosk.domain import complaints, submissions
    from sync.server.staff.workflow import COMPLAINT_MOVES, SUBMISSION_MOVES

    for moves, states, can_move in (
        (COMPLAINT_MOVES, complaints.ComplaintState, complaints.can_move),
        (SUBMISSION_MOVES, submissions.SubmissionState, submissions.can_move),
    ):
        for action, starts in moves.items():
            for state, target in starts.items():
                if target is not None:
                    assert can_move(states(state), states(target)), (action, state, target)
