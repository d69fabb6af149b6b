"""Filing a complaint on the device: validated, saved with its outbox row, found by its number."""

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.errors import InputError, NotFoundError
from kiosk.services.complaints import file_new_complaint
from kiosk.services.status import status_of
from tests.support.requests import MOTHER_NIK

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 8, 3, 10, 0, tzinfo=WIB)


def _file(kiosk, **overrides):
    values = dict(
        category="late_disbursement",
        description="Dana tahap 2 belum masuk.",
        name="Aminah",
        nik=MOTHER_NIK,
        clock=lambda: NOW,
    )
    values.update(overrides)
    return file_new_complaint(kiosk, **values)


def test_a_complaint_is_saved_with_a_register_number_and_an_outbox_row(kiosk):
    complaint = _file(kiosk)
    assert kiosk.db.execute("SELECT count(*) FROM complaints").fetchone()[0] == 1
    outbox = kiosk.db.execute("SELECT kind, client_id FROM outbox").fetchall()
    assert outbox == [("complaint", complaint.client_id)]
    assert complaint.deadlines.resolution == NOW + timedelta(days=5)


def test_the_complaint_is_found_by_its_register_number_with_the_nik_masked(kiosk):
    complaint = _file(kiosk)
    report = status_of(kiosk, str(complaint.register_number).lower())
    assert report.kind == "complaint"
    assert report.state == "queued"
    assert report.nik_masked == MOTHER_NIK[:4] + "*" * 8 + MOTHER_NIK[-4:]
    assert report.details["resolution_due"].startswith("2026-08-08")


def test_two_complaints_get_different_numbers(kiosk):
    assert _file(kiosk).register_number != _file(kiosk).register_number


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"category": "angry"}, "category"),
        ({"description": "   "}, "description"),
        ({"name": ""}, "name"),
        ({"nik": "1234"}, "nik"),
        ({"related_register_number": "XYZ"}, "related"),
        ({"phone": "abc"}, "phone"),
        ({"phone": "0812"}, "phone"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(kiosk, overrides, where):
    with pytest.raises(InputError) as caught:
        _file(kiosk, **overrides)
    assert caught.value.where == where
    assert kiosk.db.execute("SELECT count(*) FROM complaints").fetchone()[0] == 0
    assert kiosk.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_an_unknown_register_number_is_not_found(kiosk):
    from kiosk.domain.register_numbers import RegisterNumber

    with pytest.raises(NotFoundError):
        status_of(kiosk, str(RegisterNumber("ABCDEF", 99)))


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("+62 812-3456-7890", "081234567890"), ("0812 3456 7890", "081234567890"), ("  ", None)],
)
def test_a_phone_number_is_kept_in_one_form_whatever_way_it_was_typed(kiosk, typed, kept):
    assert _file(kiosk, phone=typed).complainant.phone == kept
