"""The overdue rule gives one verdict: the queue's mark (Python) and the filter and sweep (SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sync.server.staff.cases import _overdue_clause
from sync.server.staff.intake import catch_up
from sync.server.staff.overdue import is_overdue
from sync.server.storage import cases, records, utc_now
from tests.server.records import complaint_record
from tests.staff.helpers import push

NOW = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)

# (state, resolution deadline, first-response deadline, acted on, overdue?) around NOW.
TABLE = [
    ("in_progress", NOW, None, True, False),  # exactly at the deadline: not yet
    ("in_progress", NOW - SECOND, None, True, True),
    ("in_progress", NOW + SECOND, None, True, False),
    ("synced", None, NOW, False, False),
    ("synced", None, NOW - SECOND, False, True),
    ("synced", None, NOW + SECOND, False, False),
    ("in_progress", NOW + DAY, NOW - SECOND, True, False),  # answered: first response met
    ("in_progress", NOW + DAY, NOW - SECOND, False, True),  # unanswered past first response
    ("referred", NOW - SECOND, NOW + DAY, True, True),
    ("reopened", None, None, False, False),  # no deadline at all
    ("resolved", NOW - DAY, NOW - DAY, False, False),  # done: never overdue
    ("closed", NOW - SECOND, None, True, False),
    ("queued", NOW - DAY, NOW - DAY, False, False),  # not a state the server holds open
]


def test_the_python_verdict_and_the_sql_filter_agree_around_every_deadline(db, device):
    numbers = push(device, *(complaint_record(device.device_code) for _ in TABLE))
    catch_up(db, now=utc_now())
    with db.write() as connection:
        ids = {
            number: connection.execute(
                select(records.c.id).where(records.c.register_number == number)
            ).scalar_one()
            for number in numbers
        }
        for number, (state, due, first_due, acted, _) in zip(numbers, TABLE, strict=True):
            connection.execute(
                update(cases)
                .where(cases.c.record_id == ids[number])
                .values(
                    state=state,
                    due_at=due,
                    first_response_due=first_due,
                    first_action_at=NOW - DAY if acted else None,
                )
            )
    with db.read() as connection:
        selected = set(
            connection.execute(
                select(cases.c.record_id).where(
                    cases.c.record_id.in_(list(ids.values())), _overdue_clause(NOW)
                )
            ).scalars()
        )
    for number, (state, due, first_due, acted, expected) in zip(numbers, TABLE, strict=True):
        verdict = is_overdue(
            state=state,
            due_at=due,
            first_response_due=first_due,
            first_action_at=NOW - DAY if acted else None,
            now=NOW,
        )
        row = (state, due, first_due, acted)
        assert verdict is expected, row
        assert (ids[number] in selected) is expected, row


@pytest.mark.parametrize("offset", [-SECOND, timedelta(0), SECOND])
def test_the_verdict_turns_strictly_after_the_deadline(offset):
    verdict = is_overdue(
        state="in_progress",
        due_at=NOW + offset,
        first_response_due=None,
        first_action_at=NOW,
        now=NOW,
    )
    assert verdict is (offset < timedelta(0))
