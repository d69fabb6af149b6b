"""Push: per-record results keyed by client id; the server re-validates and never blocks the queue."""

from __future__ import annotations

import gzip
import json
import logging

from sqlalchemy import select

from sync.protocol import PushResponse, RecordStatus
from sync.server.storage import audit, records
from tests.server.records import complaint_record, push_body, submission_record
from tests.support.requests import FAMILY_KK, MOTHER_NIK, STUDENT_NIK


def _push(device, *outbox, **options):
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*outbox), **options)
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _row(live_server, client_id):
    with live_server.state.database.read() as connection:
        return (
            connection.execute(select(records).where(records.c.client_id == client_id))
            .mappings()
            .one_or_none()
        )


def test_a_valid_submission_is_accepted_with_the_servers_own_verdict(live_server, device):
    record = submission_record(device.device_code)
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED and result.status.is_success
    assert result.register_number == record.body["register_number"]
    row = _row(live_server, record.client_id)
    assert row["state"] == "synced" and row["fingerprint"] == record.fingerprint
    assert json.loads(row["body"]) == record.body
    server_verdict = json.loads(row["server_verdict"])
    assert server_verdict["completeness"] == record.body["device_verdict"]["completeness"]
    assert server_verdict["rules_version"] == "2025.3"
    assert row["verdicts_agree"] is True


def test_the_server_never_trusts_the_devices_verdict(live_server, device):
    record = submission_record(device.device_code, honest_verdict=False)
    assert record.body["device_verdict"] == {"completeness": "complete", "missing_documents": []}
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    row = _row(live_server, record.client_id)
    assert json.loads(row["device_verdict"])["completeness"] == "complete"
    assert json.loads(row["server_verdict"])["completeness"] == "incomplete"
    assert row["verdicts_agree"] is False
    assert "sptjm" in result.message.en and "masih kurang" in result.message.id


def test_an_identical_resend_is_a_duplicate_and_stored_once(live_server, device):
    record = submission_record(device.device_code)
    assert _push(device, record)[0].status is RecordStatus.ACCEPTED
    [again] = _push(device, record)
    assert again.status is RecordStatus.DUPLICATE and again.status.is_success
    assert again.register_number == record.body["register_number"]
    twice_in_one_batch = _push(device, record, record)
    assert [r.status for r in twice_in_one_batch] == [RecordStatus.DUPLICATE] * 2


def test_the_same_id_with_other_content_is_a_conflict_a_person_can_act_on(live_server, device):
    record = submission_record(device.device_code)
    _push(device, record)
    changed = submission_record(device.device_code, client_id=record.client_id)
    [result] = _push(device, changed)
    assert result.status is RecordStatus.CONFLICT and result.code == "conflict"
    assert record.body["register_number"] in result.message.id
    # The device's code is inside the register number too: look for it where the device is named.
    assert f"from device {device.device_code} at " in result.message.en
    assert "administrator" in result.message.en
    assert json.loads(_row(live_server, record.client_id)["body"]) == record.body


def test_a_record_that_fails_revalidation_is_rejected_with_a_stable_reason(live_server, device):
    cases = {
        "nik.day_out_of_range": submission_record(
            device.device_code,
            applicant={"nik": "3174019905090003", "name": "Siti", "kk": FAMILY_KK},
        ),
        "kk.serial_zero": submission_record(
            device.device_code,
            applicant={"nik": STUDENT_NIK, "name": "Siti", "kk": "3174012001150000"},
        ),
        "requirements.unknown_program": submission_record(device.device_code, program="bansos-x"),
        "requirements.unknown_stage": submission_record(device.device_code, stage=9),
        "requirements.bad_fact_value": submission_record(
            device.device_code, facts={**_facts(), "level": "university"}
        ),
        "requirements.unknown_document": submission_record(
            device.device_code, documents=[{"document": "kk"}, {"document": "passport"}]
        ),
        "submission.missing_facts": submission_record(device.device_code, answers={"level": "sma"}),
        "register_number.check": submission_record(
            device.device_code, register_number="7KQ2ZB-000123-A"
        ),
        "submission.unknown_field": submission_record(device.device_code, verdict="trust me"),
        "account.wrong_length": submission_record(
            device.device_code, bank_account={"bank": "BRI", "account": "12345"}
        ),
        "server.reject.schema": submission_record(device.device_code, schema=99),
        "server.reject.kind_mismatch": submission_record(device.device_code, kind="complaint"),
    }
    results = _push(device, *cases.values())
    for (reason, record), result in zip(cases.items(), results, strict=True):
        assert result.status is RecordStatus.REJECTED, reason
        assert result.code == "invalid_record" and result.reason == reason
        assert not result.status.is_success
        # A sentence, not a code: every reason has a translation in both languages.
        assert reason not in result.message.id and reason not in result.message.en
        assert _row(live_server, record.client_id) is None
    by_reason = dict(zip(cases, results, strict=True))
    assert by_reason["nik.day_out_of_range"].field == "applicant.nik"
    assert by_reason["account.wrong_length"].field == "bank_account.account"


def _facts():
    return {
        "level": "sma",
        "collector": "parent",
        "recipient": "continuing",
        "private_school": False,
    }


def test_a_rejected_record_does_not_block_the_records_behind_it(live_server, device):
    bad = submission_record(device.device_code, program="unknown")
    good = [submission_record(device.device_code) for _ in range(3)]
    results = _push(device, good[0], bad, good[1], good[2])
    assert [r.status for r in results] == [
        RecordStatus.ACCEPTED,
        RecordStatus.REJECTED,
        RecordStatus.ACCEPTED,
        RecordStatus.ACCEPTED,
    ]
    assert [r.client_id for r in results] == [good[0].client_id, bad.client_id] + [
        g.client_id for g in good[1:]
    ]


def test_a_complaint_is_accepted_with_deadlines_the_server_computes(live_server, device):
    record = complaint_record(device.device_code)
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    row = _row(live_server, record.client_id)
    verdict = json.loads(row["server_verdict"])
    assert verdict["first_response_due"].startswith("2025-07-17")
    assert row["verdicts_agree"] is True
    lying = complaint_record(device.device_code, resolution_due="2026-01-01T00:00:00+00:00")
    assert _push(device, lying)[0].status is RecordStatus.ACCEPTED
    assert _row(live_server, lying.client_id)["verdicts_agree"] is False


def test_an_invalid_complaint_is_rejected(live_server, device):
    bad = complaint_record(device.device_code, category="gossip")
    [result] = _push(device, bad)
    assert result.status is RecordStatus.REJECTED
    assert result.reason == "complaint.unknown_category" and result.field == "category"


def test_a_record_whose_photos_are_missing_is_retried_not_stored(live_server, device):
    record = submission_record(device.device_code, photos={"kk": b"photo of a family card"})
    [result] = _push(device, record)
    assert result.status is RecordStatus.RETRY and result.code == "missing_attachments"
    assert result.missing_attachments == record.attachments
    assert _row(live_server, record.client_id) is None


def test_malformed_json_and_wrong_shapes_are_refused(live_server, device):
    with device.client() as client:
        for content in (b"{not json", b'{"records": "none"}', b"\xff\xfe"):
            answer = client.post(
                "/v1/push", content=content, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 400
            assert answer.json()["error"]["code"] == "malformed_request"
        unknown_field = client.post("/v1/push", json={"records": [], "extra": 1})
        assert unknown_field.json()["error"]["code"] == "malformed_request"
        future = client.post("/v1/push", json={"protocol": 7, "records": []})
        assert future.json()["error"]["code"] == "unsupported_protocol"


def test_a_batch_over_the_limit_is_refused_whole(live_server, device):
    limit = live_server.settings.limits.max_batch_records
    batch = [submission_record(device.device_code) for _ in range(limit + 1)]
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*batch))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "batch_too_large"
    assert str(limit) in answer.json()["error"]["message"]["en"]
    assert _row(live_server, batch[0].client_id) is None


def test_a_body_over_the_limit_is_refused_while_it_is_read(live_server, device):
    limit = live_server.settings.limits.max_body_bytes
    record = submission_record(
        device.device_code, applicant={"nik": STUDENT_NIK, "name": "x" * limit}
    )
    content = json.dumps(push_body(record)).encode()
    with device.client() as client:
        declared = client.post("/v1/push", content=content)

        def chunks():  # no Content-Length: the server must count as it reads
            for start in range(0, len(content), 4096):
                yield content[start : start + 4096]

        streamed = client.post("/v1/push", content=chunks())
    for answer in (declared, streamed):
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "body_too_large"


def test_gzip_bodies_are_accepted(live_server, device):
    records_ = [submission_record(device.device_code) for _ in range(5)]
    content = gzip.compress(json.dumps(push_body(*records_)).encode())
    with device.client() as client:
        answer = client.post(
            "/v1/push",
            content=content,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    assert answer.status_code == 200
    assert {r["status"] for r in answer.json()["results"]} == {"accepted"}


def test_a_gzip_body_that_inflates_past_the_limit_is_refused(live_server, device):
    limit = live_server.settings.limits.max_body_bytes
    bomb = gzip.compress(b'{"records": [' + b" " * (limit * 20) + b"]}")
    assert len(bomb) < limit
    with device.client() as client:
        answer = client.post("/v1/push", content=bomb, headers={"Content-Encoding": "gzip"})
        broken = client.post("/v1/push", content=b"not gzip", headers={"Content-Encoding": "gzip"})
        other = client.post("/v1/push", content=b"{}", headers={"Content-Encoding": "br"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"
    assert broken.status_code == 400 and other.status_code == 400


def test_the_audit_trail_records_arrivals_without_personal_data(live_server, device, caplog):
    caplog.set_level(logging.DEBUG)
    good, bad = (
        submission_record(device.device_code),
        submission_record(device.device_code, stage=9),
    )
    _push(device, good, bad)
    _push(device, good)
    with live_server.state.database.read() as connection:
        rows = (
            connection.execute(
                select(audit).where(audit.c.client_id.in_([good.client_id, bad.client_id]))
            )
            .mappings()
            .all()
        )
    outcomes = sorted((row["client_id"] == good.client_id, row["outcome"]) for row in rows)
    assert outcomes == [(False, "rejected"), (True, "accepted"), (True, "duplicate")]
    trail = " ".join(str(dict(row)) for row in rows) + caplog.text
    for secret in (STUDENT_NIK, MOTHER_NIK, FAMILY_KK, "Siti", "Aminah"):
        assert secret not in trail
    assert device.device_code in caplog.text  # the logs name the device, by its code


def test_a_compact_answer_leaves_out_only_the_records_accepted_without_remark(live_server, device):
    stored, fresh, wrong = (
        submission_record(device.device_code),
        submission_record(device.device_code),
        submission_record(device.device_code, stage=9),
    )
    _push(device, stored)
    body = {**push_body(stored, fresh, wrong), "compact_results": True}
    with device.client() as client:
        answer = client.post("/v1/push", json=body)
    assert answer.status_code == 200, answer.text
    results = PushResponse.model_validate(answer.json()).results
    assert [(r.client_id, r.status) for r in results] == [
        (stored.client_id, RecordStatus.DUPLICATE),
        (wrong.client_id, RecordStatus.REJECTED),
    ]
    assert _row(live_server, fresh.client_id) is not None  # left out because it was accepted
    assert "null" not in answer.text  # nothing said that need not be


def test_without_asking_every_record_has_its_result(live_server, device):
    records_sent = [submission_record(device.device_code) for _ in range(3)]
    results = _push(device, *records_sent)
    assert [r.client_id for r in results] == [r.client_id for r in records_sent]
    assert all(r.status is RecordStatus.ACCEPTED and r.message is None for r in results)
