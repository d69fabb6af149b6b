"""Survey answers: a third record kind, checked by the server and kept with the device's area."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.services.survey import FLOWS
from kiosk.store.survey import survey_record
from sync.protocol import Limits, OutboxRecord, PushResponse, RecordStatus
from sync.server.storage import audit, survey_answers
from sync.server.validation import SURVEY_FLOWS
from tests.server.records import push_body, submission_record

WIB = timezone(timedelta(hours=7))


def survey(client_id: str | None = None, **changes: Any) -> OutboxRecord:
    """A survey answer exactly as the kiosk queues it (kiosk.store.survey), with `changes`."""
    client_id = client_id or str(uuid.uuid4())
    body = survey_record(
        client_id,
        score=4,
        flow="selfcheck",
        language="id",
        answered_at=datetime(2026, 8, 3, 10, 15, tzinfo=WIB).isoformat(),
    )
    body.update(changes)
    return OutboxRecord(client_id=client_id, kind="survey", body=body)


def _push(device, *outbox):
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*outbox))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _stored(live_server, client_id):
    with live_server.state.database.read() as connection:
        return (
            connection.execute(
                select(survey_answers).where(survey_answers.c.client_id == client_id)
            )
            .mappings()
            .one_or_none()
        )


def test_a_survey_answer_is_stored_once_with_the_devices_area(live_server):
    device = live_server.enroll(area="31.74.01")
    answer = survey()
    [result] = _push(device, answer)
    assert result.status is RecordStatus.ACCEPTED and result.message is None
    row = _stored(live_server, answer.client_id)
    assert (row["score"], row["flow"], row["language"], row["area"]) == (
        4,
        "selfcheck",
        "id",
        "317401",  # region digits, as the server keeps every area
    )
    assert row["answered_at"] == datetime(2026, 8, 3, 3, 15, tzinfo=UTC)  # kept in UTC
    [again] = _push(device, answer)
    assert again.status is RecordStatus.DUPLICATE and again.message is None
    with live_server.state.database.read() as connection:
        events = connection.execute(
            select(audit.c.outcome).where(audit.c.client_id == answer.client_id)
        ).scalars()
        assert sorted(events) == ["accepted", "duplicate"]


def test_the_same_survey_id_with_another_score_is_a_conflict(live_server, device):
    answer = survey()
    _push(device, answer)
    [changed] = _push(device, survey(answer.client_id, score=1))
    assert changed.status is RecordStatus.CONFLICT and changed.code == "conflict"
    assert "survei" in changed.message.id and "survey" in changed.message.en
    assert _stored(live_server, answer.client_id)["score"] == 4  # the first answer stands


def test_one_batch_may_mix_survey_answers_and_submissions(live_server, device):
    first, second = survey(), survey(flow="complaint", score=2)
    submission = submission_record(device.device_code)
    results = _push(device, first, submission, second, first)
    assert [r.client_id for r in results] == [
        first.client_id,
        submission.client_id,
        second.client_id,
        first.client_id,
    ]
    assert [r.status for r in results] == [
        RecordStatus.ACCEPTED,
        RecordStatus.ACCEPTED,
        RecordStatus.ACCEPTED,
        RecordStatus.DUPLICATE,  # the same answer twice in one batch is stored once
    ]
    assert _stored(live_server, second.client_id)["flow"] == "complaint"


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"score": 6}, "survey.bad_score", "score"),
        ({"score": 0}, "survey.bad_score", "score"),
        ({"score": "5"}, "submission.expected_number", "score"),
        ({"flow": "lottery"}, "survey.bad_flow", "flow"),
        ({"language": "Bahasa"}, "server.reject.bad_language", "language"),
        ({"answered_at": "2026-08-03T10:15:00"}, "server.reject.bad_datetime", "answered_at"),
        ({"answered_at": "kemarin"}, "server.reject.bad_datetime", "answered_at"),
        ({"nik": "3174011405090003"}, "submission.unknown_field", "nik"),
        ({"kind": "complaint"}, "server.reject.kind_mismatch", "kind"),
    ],
)
def test_a_survey_answer_the_server_cannot_vouch_for_is_rejected(
    live_server, device, changes, reason, field
):
    answer = survey(**changes)
    [result] = _push(device, answer)
    assert result.status is RecordStatus.REJECTED and result.code == "invalid_record"
    assert (result.reason, result.field) == (reason, field)
    assert result.message.id and result.message.en
    assert _stored(live_server, answer.client_id) is None


def test_a_survey_answer_may_not_carry_photos(live_server, device):
    answer = survey()
    with_photo = OutboxRecord(
        client_id=answer.client_id, kind="survey", body=answer.body, attachments=("a" * 64,)
    )
    [result] = _push(device, with_photo)
    assert result.status is RecordStatus.REJECTED
    assert (result.reason, result.field) == ("server.reject.survey_attachments", "attachments")


def test_the_server_advertises_that_it_takes_survey_answers(live_server):
    with live_server.client() as client:
        limits = Limits.model_validate(client.get("/v1/limits").json())
    assert set(limits.record_kinds) == {"submission", "complaint", "survey"}


def test_the_server_knows_the_kiosks_survey_flows():
    assert set(FLOWS) == SURVEY_FLOWS
