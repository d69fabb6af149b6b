"""Case rows follow the records: every record gets one, once, whatever order the console looks in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sync.server.staff import intake
from sync.server.storage import cases, meta, records, utc_now
from tests.staff.helpers import new_complaint, new_submission


def _floor(db):
    with db.read() as connection:
        value = connection.execute(
            select(meta.c.value).where(meta.c.key == intake.FLOOR_KEY)
        ).scalar()
    return int(value or 0)


def test_records_get_one_case_row_each_and_the_floor_passes_only_settled_ones(db, device):
    new_submission(device)
    new_complaint(device)
    now = utc_now()
    intake.catch_up(db, now=now)
    with db.read() as connection:
        newest = connection.execute(select(func.max(records.c.id))).scalar_one()
        without = connection.execute(
            select(func.count())
            .select_from(records)
            .outerjoin(cases, cases.c.record_id == records.c.id)
            .where(cases.c.record_id.is_(None))
        ).scalar_one()
    assert without == 0
    assert _floor(db) < newest  # just arrived: a slower push might still commit below them
    assert intake.catch_up(db, now=now + intake.SETTLE + timedelta(minutes=1)) == 0
    assert _floor(db) == newest  # settled: nothing can arrive below them any more
    later = new_submission(device)
    assert intake.catch_up(db, now=utc_now()) == 1
    with db.read() as connection:
        opened = connection.execute(
            select(func.count())
            .select_from(cases)
            .join(records, records.c.id == cases.c.record_id)
            .where(records.c.register_number == later)
        ).scalar_one()
    assert opened == 1
