"""One client id sent more than once, in one batch or across batches, by one device or two: the
same answers for records and survey answers; a conflict names what the pushing device itself stored,
and nothing of another device's record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync.protocol import PushResponse, RecordStatus
from sync.server.storage import audit, records, survey_answers
from tests.server.records import push_body, submission_record
from tests.server.test_survey import survey

A, D, C = RecordStatus.ACCEPTED, RecordStatus.DUPLICATE, RecordStatus.CONFLICT


def _push(device, *outbox):
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*outbox))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _count(live_server, table, client_id):
    with live_server.state.database.read() as connection:
        return connection.execute(
            select(func.count()).select_from(table).where(table.c.client_id == client_id)
        ).scalar_one()


def _submission(device, client_id=None, **changes):
    return submission_record(device.device_code, client_id=client_id, **changes)


def _survey(device, client_id=None, **changes):
    return survey(client_id, **changes)


# (make a record, its table, a change of content that still validates)
KINDS = {
    "submission": (_submission, records, {"facts": {"level": "smp", "collector": "parent"}}),
    "survey": (_survey, survey_answers, {"score": 2}),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request):
    return KINDS[request.param]


def test_identical_copies_in_one_batch_are_stored_once_and_the_second_is_a_duplicate(
    live_server, device, kind
):
    make, table, _ = kind
    record = make(device)
    first, second = _push(device, record, record)
    assert (first.status, second.status) == (A, D)
    assert first.client_id == second.client_id == record.client_id
    assert first.register_number == second.register_number
    assert _count(live_server, table, record.client_id) == 1
    assert _count(live_server, audit, record.client_id) == 2  # each copy has its line
    again = _push(device, record, record)
    assert [r.status for r in again] == [D, D]


def test_different_copies_in_one_batch_are_all_conflicts_and_none_is_stored(
    live_server, device, kind
):
    make, table, change = kind
    record = make(device)
    other = make(device, client_id=record.client_id, **change)
    assert other.fingerprint != record.fingerprint
    for batch in ((record, other), (other, record), (record, other, record)):
        results = _push(device, *batch)
        assert [r.status for r in results] == [C] * len(batch)
        assert all(r.code == "conflict" for r in results)
        assert "none of them was stored" in results[0].message.en
        assert "tidak ada yang disimpan" in results[0].message.id
        assert _count(live_server, table, record.client_id) == 0
    # Nothing wrong was kept: one version sent alone is stored, the other is then a conflict.
    assert [r.status for r in _push(device, record)] == [A]
    assert [r.status for r in _push(device, other, record)] == [C, D]
    assert _count(live_server, table, record.client_id) == 1


def test_a_copy_in_one_batch_of_a_stored_record_is_answered_against_what_is_stored(
    live_server, device, kind
):
    make, table, change = kind
    record = make(device)
    _push(device, record)
    other = make(device, client_id=record.client_id, **change)
    assert [r.status for r in _push(device, record, other, record)] == [D, C, D]
    assert _count(live_server, table, record.client_id) == 1


def test_a_conflict_with_another_devices_record_names_no_device(live_server, device):
    record = submission_record(device.device_code)
    assert [r.status for r in _push(device, record)] == [A]
    other_device = live_server.enroll()
    clash = submission_record(other_device.device_code, client_id=record.client_id)
    [result] = _push(other_device, clash)
    assert result.status is C and result.code == "conflict"
    for message in (result.message.en, result.message.id):
        assert device.device_code not in message
        assert other_device.device_code not in message
    assert "another device" in result.message.en and "perangkat lain" in result.message.id


def test_a_conflict_does_not_tell_one_device_another_devices_register_number(live_server, device):
    record = submission_record(device.device_code)
    _push(device, record)
    other_device = live_server.enroll()
    [result] = _push(
        other_device, submission_record(other_device.device_code, client_id=record.client_id)
    )
    assert result.status is C
    assert result.register_number != record.body["register_number"]
    assert record.body["register_number"] not in result.message.en
    assert record.body["register_number"] not in result.message.id
