"""A complaint's deadlines come from the server's clock when the device's is not believable: a
kiosk set to 2000 must not escalate at once, one at 2099 must still fall due, and a time with no
zone is refused (it could be any of three Indonesian zones)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from kiosk.domain.complaints import ComplaintCategory, deadlines_for
from sync.protocol import PushResponse, RecordStatus
from sync.server.staff import cases as staff_cases
from sync.server.staff.accounts import add_user
from sync.server.staff.intake import catch_up
from sync.server.staff.roles import Role
from sync.server.storage import cases, records, utc_now
from tests.server.records import complaint_record, push_body

CATEGORY = ComplaintCategory.LATE_DISBURSEMENT  # what complaint_record files


def _filed(device, filed_at: str):
    """A complaint as a device with its clock at `filed_at` makes it (deadlines from that clock)."""
    stated = datetime.fromisoformat(filed_at)
    due = deadlines_for(CATEGORY, stated)
    return complaint_record(
        device.device_code,
        filed_at=filed_at,
        first_response_due=due.first_response.isoformat(),
        resolution_due=due.resolution.isoformat(),
    )


def _push(device, *batch):
    with device.client() as client:
        answer: httpx.Response = client.post("/v1/push", json=push_body(*batch))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _case(live_server, client_id: str):
    database = live_server.state.database
    catch_up(database, now=utc_now())
    with database.read() as connection:
        record = connection.execute(
            select(records.c.id, records.c.server_verdict, records.c.received_at).where(
                records.c.client_id == client_id
            )
        ).one()
        case = connection.execute(select(cases).where(cases.c.record_id == record.id)).one()
    return record, json.loads(record.server_verdict), case


def test_a_device_clock_at_2000_does_not_make_the_complaint_overdue(live_server, device):
    record = _filed(device, "2000-01-01T09:00:00+07:00")
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    row, verdict, case = _case(live_server, record.client_id)
    expected = deadlines_for(CATEGORY, row.received_at)
    assert (case.first_response_due, case.due_at) == (expected.first_response, expected.resolution)
    assert verdict["deadlines_from"] == "received_at"
    assert verdict["filed_at_plausible"] is False
    assert verdict["filed_at_stated"] == "2000-01-01T09:00:00+07:00"  # kept as stated evidence
    staff_cases.escalate_overdue(live_server.state.database, now=utc_now())
    assert _escalated(live_server, row.id) is None


def _escalated(live_server, record_id: int):
    with live_server.state.database.read() as connection:
        return connection.execute(
            select(cases.c.escalated_at).where(cases.c.record_id == record_id)
        ).scalar()


def test_a_device_clock_at_2099_still_lets_the_complaint_fall_due(live_server, device):
    record = _filed(device, "2099-06-01T09:00:00+00:00")
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    row, verdict, case = _case(live_server, record.client_id)
    expected = deadlines_for(CATEGORY, row.received_at)
    assert case.due_at == expected.resolution
    assert case.due_at < utc_now() + timedelta(days=30)
    assert verdict["filed_at_plausible"] is False
    assert verdict["deadlines_from"] == "received_at"


def test_a_believable_device_clock_keeps_its_filing_time(live_server, device):
    filed = (utc_now() - timedelta(days=4)).replace(microsecond=0)
    record = _filed(device, filed.isoformat())
    [result] = _push(device, record)
    assert result.status is RecordStatus.ACCEPTED
    _row, verdict, case = _case(live_server, record.client_id)
    # Filed offline four days ago: three days for a first answer have already passed.
    assert case.first_response_due == filed + timedelta(days=3)
    assert verdict["deadlines_from"] == "filed_at" and verdict["filed_at_plausible"] is True


def test_a_filing_time_without_a_zone_is_refused_and_the_rest_of_the_batch_kept(
    live_server, device
):
    naive = _filed(device, "2026-03-01T09:00:00")
    good = _filed(device, datetime.now(UTC).replace(microsecond=0).isoformat())
    results = _push(device, naive, good)
    assert [r.status for r in results] == [RecordStatus.REJECTED, RecordStatus.ACCEPTED]
    assert (results[0].reason, results[0].field) == ("server.reject.bad_datetime", "filed_at")
    assert results[0].message is not None and results[0].message.id and results[0].message.en


def test_classifying_a_complaint_from_a_clock_at_2000_counts_from_the_receipt(live_server, device):
    record = _filed(device, "2000-01-01T09:00:00+07:00")
    [result] = _push(device, record)
    row, _verdict, _case_row = _case(live_server, record.client_id)
    database = live_server.state.database
    officer = add_user(
        database, f"officer-{row.id}", Role.OFFICER, "kata-sandi-uji-123", now=utc_now()
    )
    staff_cases.classify(
        database,
        officer,
        result.register_number,
        version=1,
        now=utc_now(),
        category=ComplaintCategory.WRONG_DATA.value,
        severity="normal",
    )
    _row, _verdict, classified = _case(live_server, record.client_id)
    expected = deadlines_for(ComplaintCategory.WRONG_DATA, row.received_at).resolution
    assert classified.due_at == expected  # 14 days from the receipt, not from 2000
