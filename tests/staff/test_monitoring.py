"""Monitoring: each table counts what happened in one area; filters and exports refuse bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from kiosk.domain.requirements import evaluate
from sync.server.errors import BadFilter
from sync.server.staff import cases, monitoring
from sync.server.staff.monitoring import Filters, Table, parse_filters, to_csv
from sync.server.staff.roles import Role
from sync.server.storage import cases as cases_table
from sync.server.storage import survey_answers, utc_now
from tests.server.records import FACTS, _kjp_rules, complaint_record, submission_record
from tests.staff.helpers import push, student_nik
from tests.support.requests import FAMILY_KK


def _required() -> tuple[str, ...]:
    return tuple(item.document for item in evaluate(_kjp_rules(), 2, FACTS, set()).items)


def _submission(device, nik, shown):
    applicant = {"nik": nik, "name": "Siti Rahmawati", "kk": FAMILY_KK}
    return submission_record(device.device_code, shown=shown, applicant=applicant)


def _rows(table: Table) -> list[dict]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def test_every_table_counts_the_areas_submissions_complaints_and_scores(db, device, staff, area):
    first, second = student_nik(), student_nik()
    push(
        device,
        _submission(device, first, _required()),  # complete on the first visit
        _submission(device, second, ("kk",)),  # incomplete on the first visit
    )
    push(device, _submission(device, second, _required()))  # complete on the second visit
    late, wrong = push(
        device,
        complaint_record(device.device_code),
        complaint_record(device.device_code, category="wrong_data"),
    )
    officer = staff(Role.OFFICER)
    cases.resolve(db, officer, late, version=1, now=utc_now(), message="Sudah ditransfer.")
    digits = area.replace(".", "")
    with db.write() as connection:
        connection.execute(
            insert(survey_answers),
            [
                {
                    "client_id": str(uuid.uuid4()),
                    "device_id": 1,
                    "area": digits,
                    "score": score,
                    "flow": "status",
                    "language": "id",
                    "answered_at": utc_now(),
                    "received_at": utc_now(),
                }
                for score in (5, 4, 4)
            ],
        )
    board = monitoring.dashboard(db, parse_filters({"area_prefix": area}), now=utc_now())
    assert _rows(board.table("submissions_by_region")) == [
        {
            "region": digits,
            "program": "kjp-plus",
            "stage": 2,
            "submissions": 3,
            "complete": 2,
            "complete_pct": 66.7,
        }
    ]
    [first_visits] = _rows(board.table("first_visit_completeness"))
    assert (first_visits["first_visits"], first_visits["complete_first_time"]) == (2, 1)
    missing = {
        row["document"]: row["times_missing"] for row in _rows(board.table("missing_documents"))
    }
    assert missing == {document: 1 for document in _required() if document != "kk"}
    [mismatch] = _rows(board.table("mismatch_rate"))
    assert (mismatch["not_registered"], mismatch["mismatch_pct"]) == (3, 100.0)
    by_category = {row["category"]: row for row in _rows(board.table("complaints_by_category"))}
    assert (by_category["late_disbursement"]["resolved"], by_category["wrong_data"]["open"]) == (
        1,
        1,
    )
    sla = {row["category"]: row for row in _rows(board.table("sla_breaches"))}
    assert sla["late_disbursement"]["resolved_late"] == 1  # filed in 2025, resolved now
    assert sla["wrong_data"]["open_past_due"] == 1
    assert sla["wrong_data"]["first_response_late"] == 1
    times = {row["kind"]: row for row in _rows(board.table("handling_times"))}
    assert (times["complaint"]["received"], times["complaint"]["decided"]) == (2, 1)
    assert times["complaint"]["avg_handling_hours"] < 1  # received and resolved in this test
    [scores] = _rows(board.table("satisfaction"))
    assert (scores["answers"], scores["average"], scores["score_4"]) == (3, 4.33, 2)
    [today] = _rows(board.table("trends_daily"))
    assert (today["submissions"], today["complaints"], today["complete"]) == (3, 2, 2)
    assert wrong


def test_a_date_range_before_any_record_shows_nothing(db, device, area):
    push(device, _submission(device, student_nik(), ("kk",)))
    yesterday = (utc_now() - timedelta(days=1)).date().isoformat()
    board = monitoring.dashboard(
        db, parse_filters({"area_prefix": area, "date_to": yesterday}), now=utc_now()
    )
    assert all(table.rows == () for table in board.tables.values())


@pytest.mark.parametrize(
    ("given", "field", "reason"),
    [
        ({"date_from": "2026-13-01"}, "date_from", "bad_date"),
        ({"date_from": "2026-07-02", "date_to": "2026-07-01"}, "date_to", "before_start"),
        ({"area_prefix": "31.7"}, "area_prefix", "bad_area"),
        ({"area_prefix": "DKI"}, "area_prefix", "bad_area"),
        ({"program": "KJP Plus"}, "program", "bad_program"),
        ({"stage": "0"}, "stage", "bad_stage"),
        ({"stage": "2a"}, "stage", "bad_stage"),
        ({"region": "31"}, "region", "unknown_field"),
    ],
)
def test_a_malformed_filter_names_its_field(given, field, reason):
    with pytest.raises(BadFilter) as refused:
        parse_filters(given)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert field in refused.value.message("en") and field in refused.value.message("id")


def test_good_filters_are_read_and_normalised():
    assert parse_filters(
        {"date_from": "2026-07-01", "date_to": "", "area_prefix": "31.74", "stage": "2"}
    ) == Filters(date_from=monitoring.date(2026, 7, 1), area_prefix="3174", stage=2)


def test_exporting_a_table_that_does_not_exist_names_it(db):
    board = monitoring.dashboard(db, Filters(area_prefix="99"), now=utc_now(), only=["trends"])
    with pytest.raises(BadFilter) as refused:
        board.table("everything")
    assert refused.value.field == "table" and "everything" in refused.value.message("en")
    with pytest.raises(BadFilter):
        monitoring.dashboard(db, Filters(), now=utc_now(), only=["nope"])


def test_csv_export_keeps_numbers_and_defuses_formulas():
    table = Table("t", ("name", "count"), (('=HYPERLINK("x")', -3), ("Tebet, Jakarta", None)))
    assert to_csv(table) == 'name,count\r\n"\'=HYPERLINK(""x"")",-3\r\n"Tebet, Jakarta",\r\n'


def test_the_national_rollup_always_equals_the_case_rows(db, device, staff):
    push(device, _submission(device, student_nik(), _required()))
    push(device, _submission(device, student_nik(), ("kk",)))
    number = push(device, complaint_record(device.device_code))[0]
    officer, supervisor = staff(Role.OFFICER), staff(Role.SUPERVISOR)
    version = cases.resolve(db, officer, number, version=1, now=utc_now(), message="Selesai.")
    version = cases.reopen(db, supervisor, number, version=version, now=utc_now(), reason="Belum.")
    cases.resolve(db, officer, number, version=version, now=utc_now(), message="Sudah.")
    monitoring.dashboard(db, Filters(), now=utc_now(), only=["trends"])  # catches up
    measures = tuple(monitoring._RAW_MEASURES)
    with db.read() as connection:
        from_rollup = monitoring._counts(
            connection, Filters(), kind=None, by=("kind",), measures=measures
        )
        raw = connection.execute(
            select(cases_table.c.kind, *(monitoring._RAW_MEASURES[name]() for name in measures))
            .group_by(cases_table.c.kind)
            .order_by(cases_table.c.kind)
        ).all()
    assert from_rollup == [(row[0], *(int(v or 0) for v in row[1:])) for row in raw]


def test_only_supervisors_and_admins_see_and_export_the_numbers(db, staff):
    from sync.server.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        monitoring.dashboard(db, Filters(), now=utc_now(), viewer=staff(Role.OFFICER))
    admin = staff(Role.ADMIN)
    board = monitoring.dashboard(
        db, Filters(area_prefix="99"), now=utc_now(), only=["complaints_by_category"], viewer=admin
    )
    assert monitoring.export_table(board, "complaints_by_category", admin).startswith(
        "category,complaints,open,resolved,referred\r\n"
    )
    with pytest.raises(PermissionDenied):
        monitoring.export_table(board, "complaints_by_category", staff(Role.VERIFIER))
