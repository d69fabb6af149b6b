"""Register numbers belong to the device whose code they carry (issue 11, item 1).

A device may number records only with its own device code, or with the random code it used
before it enrolled, which the server learns at the device's first push and ties to it. Every
other number is refused record by record (quarantined on the device, the rest of the batch
stored), a number is never stored twice, and a staff decision reaches the device that made the
record, and no other.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from kiosk.domain.register_numbers import ALPHABET, DEVICE_CODE_LENGTH, RegisterNumber
from sync.protocol import PushResponse, RecordStatus
from sync.server import devices
from sync.server.staff.operators import set_state
from sync.server.storage import changes, records, utc_now
from tests.server.photos import padded_photo
from tests.server.records import complaint_record, push_body, submission_record

A, R = RecordStatus.ACCEPTED, RecordStatus.REJECTED
FOREIGN = "server.reject.foreign_register_number"
TAKEN = "server.reject.register_number_taken"


def _push(device, *outbox):
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*outbox))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _numbered(make, device_code, sequence, **changes):
    return make(device_code, register_number=str(RegisterNumber(device_code, sequence)), **changes)


def _stored(live_server, number):
    with live_server.state.database.read() as connection:
        return connection.execute(
            select(records.c.client_id, records.c.device_id).where(
                records.c.register_number == number
            )
        ).all()


def _device_id(live_server, device):
    with live_server.state.database.read() as connection:
        return connection.execute(
            select(devices.devices.c.id).where(devices.devices.c.name == device.name)
        ).scalar_one()


def _free_code():
    """A device code no device of this server has (the pre-enrolment code of a fresh kiosk)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(DEVICE_CODE_LENGTH))


def test_a_device_cannot_push_a_record_numbered_with_another_devices_code(live_server, device):
    squatter = live_server.enroll()
    _push(squatter, submission_record(squatter.device_code))  # its first push is behind it
    taken = _numbered(complaint_record, device.device_code, 1)
    [result] = _push(squatter, taken)
    assert result.status is R and result.code == "invalid_record"
    assert result.reason == FOREIGN and result.field == "register_number"
    assert "another device" in result.message.en and "perangkat lain" in result.message.id
    assert _stored(live_server, taken.body["register_number"]) == []
    own = _numbered(complaint_record, device.device_code, 1)
    assert [r.status for r in _push(device, own)] == [A]


def test_a_refused_number_does_not_fail_the_rest_of_the_batch(live_server, device):
    squatter = live_server.enroll()
    squatted = _numbered(submission_record, device.device_code, 7)
    own = submission_record(squatter.device_code)
    results = _push(squatter, submission_record(squatter.device_code), squatted, own)
    assert [r.status for r in results] == [A, R, A]
    assert results[1].reason == FOREIGN
    assert len(_stored(live_server, own.body["register_number"])) == 1


def test_a_device_may_not_take_a_number_at_its_first_push_with_another_devices_code(
    live_server, device
):
    squatter = live_server.enroll()
    [result] = _push(squatter, _numbered(submission_record, device.device_code, 3))
    assert result.status is R and result.reason == FOREIGN


def test_the_pre_enrolment_code_is_learnt_at_the_first_push_and_refused_to_every_other_device(
    live_server,
):
    kiosk = live_server.enroll()
    early = _free_code()  # the random code the kiosk numbered with before enrolling
    made_offline = [_numbered(submission_record, early, sequence) for sequence in (1, 2)]
    results = _push(kiosk, *made_offline, submission_record(kiosk.device_code))
    assert [r.status for r in results] == [A, A, A]
    assert [r.status for r in _push(kiosk, _numbered(complaint_record, early, 3))] == [A]
    newcomer = live_server.enroll()
    [result] = _push(newcomer, _numbered(complaint_record, early, 4))
    assert result.status is R and result.reason == FOREIGN
    assert _stored(live_server, str(RegisterNumber(early, 4))) == []


def test_only_one_pre_enrolment_code_is_learnt_and_only_at_the_first_push(live_server):
    kiosk = live_server.enroll()
    first, second = _free_code(), _free_code()
    results = _push(kiosk, _numbered(submission_record, first, 1))
    assert [r.status for r in results] == [A]
    [later] = _push(kiosk, _numbered(submission_record, second, 1))
    assert later.status is R and later.reason == FOREIGN
    late = live_server.enroll()
    _push(late, submission_record(late.device_code))
    [result] = _push(late, _numbered(submission_record, _free_code(), 1))
    assert result.status is R and result.reason == FOREIGN


def test_a_number_the_server_already_holds_under_another_record_is_refused(live_server, device):
    first = submission_record(device.device_code)
    _push(device, first)
    again = submission_record(device.device_code, register_number=first.body["register_number"])
    [result] = _push(device, again)  # e.g. a kiosk restored from an old backup reuses its counter
    assert result.status is R and result.reason == TAKEN and result.field == "register_number"
    assert _stored(live_server, first.body["register_number"]) == [
        (first.client_id, _device_id(live_server, device))
    ]


def test_two_records_of_one_batch_with_one_number_are_both_refused(live_server, device):
    number = str(RegisterNumber(device.device_code, 424242))
    one = submission_record(device.device_code, register_number=number)
    other = complaint_record(device.device_code, register_number=number)
    results = _push(device, one, other)
    assert [(r.status, r.reason) for r in results] == [(R, TAKEN), (R, TAKEN)]
    assert _stored(live_server, number) == []


def test_a_staff_answer_reaches_only_the_device_that_made_the_record(live_server, device):
    complaint = complaint_record(device.device_code)
    number = complaint.body["register_number"]
    _push(device, complaint)
    squatter = live_server.enroll()
    _push(squatter, complaint_record(squatter.device_code))
    _push(squatter, complaint_record(device.device_code, register_number=number))
    changed = set_state(
        live_server.state.database,
        number,
        "in_progress",
        operator="rina",
        now=utc_now() + timedelta(seconds=1),
    )
    assert changed.register_number == number
    with live_server.state.database.read() as connection:
        feed = connection.execute(select(changes.c.device_id, changes.c.data)).all()
    routed = [
        device_id
        for device_id, data in feed
        if json.loads(data).get("client_id") == complaint.client_id
    ]
    assert routed == [_device_id(live_server, device)]
    with live_server.state.database.read() as connection:
        squatter_changes = connection.execute(
            select(func.count())
            .select_from(changes)
            .where(changes.c.device_id == _device_id(live_server, squatter))
        ).scalar_one()
    assert squatter_changes == 0


def test_no_device_is_assigned_a_code_another_device_numbered_with_before_enrolling(
    live_server, monkeypatch
):
    kiosk = live_server.enroll()
    early = _free_code()
    _push(kiosk, _numbered(submission_record, early, 1))
    draws = iter([early, kiosk.device_code, "2345AB"])
    real_draw = devices._random_text
    monkeypatch.setattr(
        devices,
        "_random_text",
        lambda length: next(draws) if length == DEVICE_CODE_LENGTH else real_draw(length),
    )
    ticket = devices.add_device(
        live_server.state.database,
        f"late-{secrets.token_hex(3)}",
        "31.74",
        now=utc_now(),
        ttl=timedelta(hours=1),
    )
    assert ticket.device.device_code == "2345AB"


def test_a_pre_enrolment_record_waiting_for_its_photo_at_the_first_push_keeps_its_code(
    live_server,
):
    kiosk = live_server.enroll()
    early = _free_code()
    data, sha = padded_photo(800)
    offline = _numbered(submission_record, early, 1, shown=("kk",), photos={"kk": data})
    first = _push(kiosk, offline, submission_record(kiosk.device_code))
    assert [r.status for r in first] == [RecordStatus.RETRY, A]
    with kiosk.client() as client:
        put = client.put(
            f"/v1/attachments/{sha}",
            params={"offset": 0, "total": len(data)},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    assert put.status_code == 200, put.text
    assert [r.status for r in _push(kiosk, offline)] == [A]
