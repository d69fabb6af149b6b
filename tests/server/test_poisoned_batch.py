"""A malformed record is refused on its own and the good records of its batch are stored; a body
too deep to read is a 400 in the protocol's error shape, with one log line and no traceback."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from kiosk.domain.register_numbers import ALPHABET, has_valid_check
from sync.protocol import PushResponse, RecordStatus
from sync.server import validation
from sync.server.body import MAX_JSON_DEPTH, _deeper_than
from sync.server.storage import records, survey_answers
from tests.server.records import complaint_record, push_body, submission_record
from tests.server.test_survey import survey


def _checked_number(device_code: str, digits: int) -> str:
    """A register number with `digits` sequence digits and a valid check character."""
    payload = device_code + "1" * digits
    return next(payload + c for c in ALPHABET if has_valid_check(payload + c))


def _nested(depth: int) -> object:
    value: object = True
    for _ in range(depth - 1):
        value = {"more": value}
    return value


def _stored(live_server, table, client_ids) -> set[str]:
    with live_server.state.database.read() as connection:
        found = connection.execute(
            select(table.c.client_id).where(table.c.client_id.in_(list(client_ids)))
        ).scalars()
        return set(found)


POISON = {
    "a complaint filed in the year 9999 west of Greenwich": (
        lambda code: complaint_record(code, filed_at="9999-12-31T23:59:59-05:00"),
        ("server.reject.bad_datetime", "filed_at"),
    ),
    "a survey answered in the year 9999 west of Greenwich": (
        lambda code: survey(answered_at="9999-12-31T23:59:59-05:00"),
        ("server.reject.bad_datetime", "answered_at"),
    ),
    "a register number of 5,000 digits": (
        lambda code: complaint_record(code, register_number=_checked_number(code, 5000)),
        ("register_number.shape", "register_number"),
    ),
    "a 39-character register number": (
        lambda code: complaint_record(code, register_number=_checked_number(code, 32)),
        ("register_number.shape", "register_number"),
    ),
    "a related register number of 5,000 digits": (
        lambda code: complaint_record(code, related_register_number=_checked_number(code, 5000)),
        ("register_number.shape", "related_register_number"),
    ),
    "facts nested a hundred deep": (
        lambda code: submission_record(code, facts={"level": _nested(100)}),
        None,  # refused by the record's shape, whichever check sees it first
    ),
}


@pytest.mark.parametrize("case", list(POISON))
def test_a_poisoned_record_is_refused_alone_and_the_rest_of_its_batch_stored(
    live_server, device, case
):
    make, expected = POISON[case]
    poisoned = make(device.device_code)
    good = [complaint_record(device.device_code), submission_record(device.device_code)]
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(good[0], poisoned, good[1]))
    assert answer.status_code == 200, answer.text
    results = PushResponse.model_validate(answer.json()).results
    assert [r.status for r in results] == [
        RecordStatus.ACCEPTED,
        RecordStatus.REJECTED,
        RecordStatus.ACCEPTED,
    ]
    refused = results[1]
    if expected is not None:
        assert (refused.reason, refused.field) == expected
    assert refused.message is not None and refused.message.id and refused.message.en
    assert _stored(live_server, records, [r.client_id for r in good]) == {r.client_id for r in good}
    table = survey_answers if poisoned.kind == "survey" else records
    assert _stored(live_server, table, [poisoned.client_id]) == set()


def test_input_no_check_foresaw_refuses_that_record_only(live_server, device, monkeypatch):
    def overflowing(text: str):
        raise OverflowError("a number past what the check can read")

    poisoned = complaint_record(device.device_code, related_register_number="7KQ2ZB-000001-X")
    good = complaint_record(device.device_code)
    monkeypatch.setattr(validation, "parse_register_number", overflowing)
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(good, poisoned))
    # Every record here reads a register number: all refused, none crashes the batch.
    assert answer.status_code == 200, answer.text
    results = PushResponse.model_validate(answer.json()).results
    assert {(r.status, r.reason) for r in results} == {
        (RecordStatus.REJECTED, "server.reject.unreadable")
    }
    assert all(r.message is not None and r.message.en for r in results)


def _deep_json(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def test_a_push_nested_past_the_parser_is_refused_in_the_error_shape(live_server, device):
    with device.client() as client:
        answer = client.post(
            "/v1/push",
            content=_deep_json(20_000),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize("depth", [200, 2_000])
def test_deep_json_on_enrol_is_refused_with_one_log_line_and_no_traceback(
    live_server, caplog, depth
):
    with caplog.at_level(logging.INFO), live_server.client() as client:
        answer = client.post(
            "/v1/enroll", content=_deep_json(depth), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "malformed_request"
    ours = [r for r in caplog.records if r.name.startswith(("lengkap", "uvicorn.error"))]
    assert [r.getMessage() for r in ours] == ["refused a body nested deeper than 128 levels"]
    assert not any(r.exc_info for r in caplog.records)


def test_a_message_a_kiosk_would_send_is_not_too_deep():
    body = json.dumps(push_body(submission_record(), complaint_record(), survey()))
    assert not _deeper_than(json.loads(body), MAX_JSON_DEPTH)
