"""What a push answers and stores, to the word and the column: the register number each answer
names, the sentence a person reads, and the row the server keeps."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import timedelta

from sqlalchemy import select

from kiosk.domain.complaints import ClockTolerance
from sync.protocol import PushResponse, RecordStatus
from sync.server import devices, ingest
from sync.server.ingest import push_records
from sync.server.ingest_kinds import RECORDS, slices
from sync.server.storage import audit, records, utc_now
from tests.server.photos import padded_photo
from tests.server.records import complaint_record, new_client_id, push_body, submission_record
from tests.support.requests import FAMILY_KK

# The documents KJP Plus stage 2 asks of a continuing SMA student collected by a parent.
ALL_DOCUMENTS = ("kk", "permohonan", "pernyataan_ketaatan", "ktp_wali", "sptjm", "formulir_data")


def _push(device, *outbox):
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*outbox))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _row(live_server, client_id):
    with live_server.state.database.read() as connection:
        return (
            connection.execute(select(records).where(records.c.client_id == client_id))
            .mappings()
            .one()
        )


def _upload(device, data, sha):
    with device.client() as client:
        answer = client.put(
            f"/v1/attachments/{sha}",
            params={"offset": 0, "total": len(data)},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    assert answer.status_code == 200, answer.text


def test_a_conflict_with_this_devices_own_record_names_its_number_and_when_it_arrived(
    live_server, device
):
    record = submission_record(device.device_code)
    _push(device, record)
    received = _row(live_server, record.client_id)["received_at"]
    changed = submission_record(device.device_code, client_id=record.client_id)
    [result] = _push(device, changed)
    number = record.body["register_number"]
    assert result.status is RecordStatus.CONFLICT
    assert result.register_number == number  # what this device stored, not what it sent now
    when = received.strftime("%Y-%m-%d %H:%M")
    assert f"from device {device.device_code} at {when} UTC (register number {number})" in (
        result.message.en
    )


def test_a_conflict_with_another_devices_record_names_no_number(live_server, device):
    record = submission_record(device.device_code)
    _push(device, record)
    other = live_server.enroll()
    [result] = _push(other, submission_record(other.device_code, client_id=record.client_id))
    assert result.status is RecordStatus.CONFLICT
    assert result.register_number is None
    assert record.body["register_number"] not in result.message.en + result.message.id


def test_differing_copies_in_one_batch_each_answer_with_their_own_register_number(device):
    # The copies' id sorts first: the records after it in client-id order are still answered.
    shared, later = sorted([new_client_id(), new_client_id()])
    first = submission_record(device.device_code, client_id=shared)
    second = submission_record(device.device_code, client_id=shared)
    behind = submission_record(device.device_code, client_id=later)
    assert first.body["register_number"] != second.body["register_number"]
    results = _push(device, first, second, behind)
    assert [r.status for r in results] == [RecordStatus.CONFLICT] * 2 + [RecordStatus.ACCEPTED]
    assert [r.register_number for r in results[:2]] == [
        first.body["register_number"],
        second.body["register_number"],
    ]
    assert results[0].message.en.startswith(
        "This batch holds two or more different records with this client_id; none of them"
    )


def test_a_refusal_names_the_field_and_explains_the_reason_with_its_values(device):
    record = submission_record(
        device.device_code,
        applicant={"nik": "3174019905090003", "name": "Siti", "kk": FAMILY_KK},
    )
    [result] = _push(device, record)
    assert result.status is RecordStatus.REJECTED
    assert result.field == "applicant.nik" and result.reason == "nik.day_out_of_range"
    assert result.message.en == (
        "Refused by the server (applicant.nik): Digits 7 and 8 of the NIK (99) are not a day of"
        " birth: they must be 01–31 for a man or 41–71 for a woman. Check the NIK again."
        " Correct the data, then save it as a new record."
    )
    assert "(applicant.nik)" in result.message.id and "(99)" in result.message.id


def test_a_submission_row_keeps_its_program_rules_version_and_sorted_photos(live_server, device):
    made = {"kk": padded_photo(700), "sptjm": padded_photo(800)}
    photos = {document: data for document, (data, _) in made.items()}
    record = submission_record(device.device_code, shown=("kk", "sptjm"), photos=photos)
    for data, sha in made.values():
        _upload(device, data, sha)
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    row = _row(live_server, record.client_id)
    assert row["program"] == "kjp-plus"
    assert row["rules_version"] == "2025.3"
    assert json.loads(row["attachments"]) == sorted(sha for _, sha in made.values())
    assert json.loads(row["device_verdict"]) == record.body["device_verdict"]


def test_a_complaint_row_keeps_its_program_and_has_no_rules_version_or_photos(live_server, device):
    record = complaint_record(device.device_code)
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    row = _row(live_server, record.client_id)
    assert row["program"] == "kjp-plus" and row["rules_version"] is None
    assert json.loads(row["attachments"]) == []


def test_a_device_that_undercounted_is_told_the_documents_are_complete(device):
    record = submission_record(device.device_code, shown=ALL_DOCUMENTS, honest_verdict=False)
    assert record.body["device_verdict"]["completeness"] == "incomplete"
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    assert result.message.en == (
        "Received by the server. By the server's rules, the documents are complete."
    )


def test_a_device_that_overcounted_is_told_each_missing_document_once_comma_separated(device):
    record = submission_record(device.device_code, honest_verdict=False)
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    assert result.message.en == (
        "Received by the server. By the server's rules, these documents are still missing: "
        "formulir_data, ktp_wali, permohonan, pernyataan_ketaatan, sptjm."
    )


def test_a_stolen_photo_is_the_reason_given_even_when_the_number_is_wrong_too(live_server, device):
    """The photo is judged first; a record refused for it is not screened for its number."""
    data, sha = padded_photo(900)
    _upload(device, data, sha)
    thief = live_server.enroll()
    stolen = submission_record(device.device_code, shown=("kk",), photos={"kk": data})
    [result] = _push(thief, stolen)
    assert result.status is RecordStatus.REJECTED
    assert (result.reason, result.field) == ("server.reject.photo_not_owned", "attachments")


def test_every_arrival_is_audited_with_its_device_fingerprint_and_the_code_of_its_answer(
    live_server, device
):
    accepted, refused = (
        submission_record(device.device_code),
        submission_record(device.device_code, stage=9),
    )
    waiting = submission_record(device.device_code, photos={"kk": padded_photo(600)[0]})
    batch = (accepted, refused, waiting)
    _push(device, *batch)
    with live_server.state.database.read() as connection:
        rows = {
            row["client_id"]: row
            for row in connection.execute(
                select(audit).where(audit.c.client_id.in_([r.client_id for r in batch]))
            ).mappings()
        }
    trail = {
        client_id: (row["action"], row["outcome"], row["code"], row["fingerprint"])
        for client_id, row in rows.items()
    }
    assert trail == {
        accepted.client_id: ("push", "accepted", None, accepted.fingerprint),
        refused.client_id: ("push", "rejected", "requirements.unknown_stage", refused.fingerprint),
        waiting.client_id: ("push", "retry", "missing_attachments", waiting.fingerprint),
    }
    enrolled = devices.authenticate(live_server.state.database, f"Bearer {device.credential}")
    assert {row["device_id"] for row in rows.values()} == {enrolled.id}


def test_the_push_log_line_counts_the_answers_by_status(live_server, device, caplog):
    caplog.set_level(logging.INFO, logger="lengkap.server.ingest")
    _push(
        device,
        submission_record(device.device_code),
        submission_record(device.device_code, stage=9),
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "lengkap.server.ingest"]
    assert f"push device={device.device_code} records=2 {{'accepted': 1, 'rejected': 1}}" in lines


def test_the_servers_clock_tolerance_decides_whether_a_filing_time_is_believed(live_server, device):
    """A complaint filed three hours before it arrives: believed by default (a kiosk may stay
    offline for months), not by a server told to believe only an hour behind."""
    now = utc_now()
    filed = (now - timedelta(hours=3)).isoformat()
    enrolled = devices.authenticate(live_server.state.database, f"Bearer {device.credential}")
    rules = live_server.state.rulebook.snapshot()
    strict = ClockTolerance(ahead=timedelta(hours=1), behind=timedelta(hours=1))
    believed_from = {}
    for name, options in (("default", {}), ("strict", {"clock_tolerance": strict})):
        record = complaint_record(device.device_code, filed_at=filed)
        [result] = push_records(
            live_server.state.database, enrolled, [record], rules, now=now, **options
        )
        assert result.status is RecordStatus.ACCEPTED, result
        verdict = json.loads(_row(live_server, record.client_id)["server_verdict"])
        believed_from[name] = verdict["deadlines_from"]
    assert believed_from == {"default": "filed_at", "strict": "received_at"}


def test_ids_are_read_in_sorted_slices_that_cover_each_id_once():
    ids = [f"id-{n:05d}" for n in range(1201)]
    parts = list(slices([*reversed(ids), ids[0]]))
    assert [len(part) for part in parts] == [500, 500, 201]
    assert [client_id for part in parts for client_id in part] == ids
    assert list(slices([])) == []


def test_a_record_stored_with_other_content_by_a_concurrent_push_is_a_conflict(
    live_server, device, monkeypatch
):
    """The race window, made certain: the first read misses the row another push is storing,
    the insert skips it, and the answer comes from comparing with what that push stored."""
    stored = submission_record(device.device_code)
    _push(device, stored)
    calls = []

    def late_read(connection, client_ids):
        calls.append(list(client_ids))
        return {} if len(calls) == 1 else RECORDS.read(connection, calls[-1])

    racing = dataclasses.replace(RECORDS, read=late_read)
    monkeypatch.setattr(ingest, "kind_of", lambda record: racing)
    enrolled = devices.authenticate(live_server.state.database, f"Bearer {device.credential}")
    changed = submission_record(device.device_code, client_id=stored.client_id)
    [result] = push_records(
        live_server.state.database,
        enrolled,
        [changed],
        live_server.state.rulebook.snapshot(),
        now=utc_now(),
    )
    assert len(calls) == 2  # read before the insert, and again for the id it skipped
    assert result.status is RecordStatus.CONFLICT
    assert result.register_number == stored.body["register_number"]
