"""Survey answers go through the outbox like every record, and arrive once, without personal data."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.services.survey import record_survey_answer, survey_summary
from kiosk.services.sync import enroll_device, sync_now
from kiosk.store import outbox
from sync.server import devices
from sync.server.storage import survey_answers, utc_now
from tests.support.server import (
    POSTGRES_UNREACHABLE,
    RunningServer,
    postgres_database,
    postgres_reachable,
    running_server,
)

ANSWERED = datetime(2026, 8, 3, 9, 30, tzinfo=UTC)


def _answer(kiosk, score: int, client_id: str, flow: str = "selfcheck") -> int:
    return record_survey_answer(
        kiosk, score, flow=flow, language="en", clock=lambda: ANSWERED, new_id=lambda: client_id
    )


def test_an_answer_is_saved_and_queued_in_one_transaction(kiosk):
    _answer(kiosk, 5, "survey-1")
    [row] = outbox.due_rows(kiosk.db)
    assert (row.kind, row.client_id, row.register_number) == ("survey", "survey-1", None)
    assert row.body == {
        "schema": 1,
        "kind": "survey",
        "client_id": "survey-1",
        "score": 5,
        "flow": "selfcheck",
        "language": "en",
        "answered_at": "2026-08-03T09:30:00+00:00",
    }
    assert row.attachments == ()
    # The outbox refuses a second row with the same id: then the answer is not kept either.
    with pytest.raises(sqlite3.IntegrityError):
        _answer(kiosk, 1, "survey-1")
    assert survey_summary(kiosk) == {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}
    assert len(outbox.due_rows(kiosk.db)) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    folder = tmp_path / "server"
    if request.param == "sqlite":
        with running_server(None, folder) as server:
            yield server
        return
    if not postgres_reachable():
        pytest.skip(POSTGRES_UNREACHABLE)
    with postgres_database() as url, running_server(url, folder) as server:
        yield server


def _stored(server: RunningServer) -> list[dict]:
    with server.state.database.read() as connection:
        rows = connection.execute(select(survey_answers).order_by(survey_answers.c.client_id))
        return [dict(row) for row in rows.mappings()]


def test_answers_reach_the_server_once_with_the_devices_area(central, kiosk):
    ticket = devices.add_device(
        central.state.database, "loket-survei", "31.74.01", now=utc_now(), ttl=timedelta(hours=1)
    )
    enroll_device(kiosk, central.url, ticket.display)
    _answer(kiosk, 5, "survey-a")
    _answer(kiosk, 2, "survey-b", flow="complaint")
    report = sync_now(kiosk)
    assert report.is_complete and (report.sent, report.duplicates) == (2, 0)
    stored = _stored(central)
    assert [(r["client_id"], r["score"], r["flow"], r["area"]) for r in stored] == [
        ("survey-a", 5, "selfcheck", "317401"),
        ("survey-b", 2, "complaint", "317401"),
    ]
    assert stored[0]["answered_at"] == ANSWERED
    # Sent again (an answer lost on the way back): the server says duplicate, stores nothing.
    kiosk.db.execute("UPDATE outbox SET state = 'pending'")
    again = sync_now(kiosk)
    assert again.is_complete and again.duplicates == 2
    assert len(_stored(central)) == 2
    # Nothing the server keeps could name a person.
    assert set(stored[0]) == {
        "id",
        "client_id",
        "device_id",
        "area",
        "score",
        "flow",
        "language",
        "answered_at",
        "received_at",
    }
    assert outbox.due_rows(kiosk.db) == []
