"""Complaint categories, answer-by dates and the lifecycle."""

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.complaints import (
    Complainant,
    ComplaintCategory,
    ComplaintState,
    deadlines_for,
    file_complaint,
)
from kiosk.domain.register_numbers import RegisterNumber

FILED = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=7)))


@pytest.mark.parametrize(
    ("category", "days"),
    [
        (ComplaintCategory.NO_INFORMATION, 5),
        (ComplaintCategory.LATE_DISBURSEMENT, 5),
        (ComplaintCategory.CARD_OR_ACCOUNT, 5),
        (ComplaintCategory.WRONG_DATA, 14),
        (ComplaintCategory.AMOUNT_REDUCED, 14),
        (ComplaintCategory.NOT_REGISTERED, 60),
        (ComplaintCategory.ILLEGAL_LEVY, 60),
        (ComplaintCategory.OTHER, 5),
    ],
)
def test_each_category_is_owed_an_answer_within_its_service_time(category, days):
    deadlines = deadlines_for(category, FILED)
    assert deadlines.first_response == FILED + timedelta(days=3)
    assert deadlines.resolution == FILED + timedelta(days=days)


def test_every_category_has_a_service_time():
    for category in ComplaintCategory:
        assert deadlines_for(category, FILED).resolution > FILED


def _complaint():
    return file_complaint(
        client_id="c-1",
        register_number=RegisterNumber("ABCDEF", 1),
        category=ComplaintCategory.LATE_DISBURSEMENT,
        description="  Dana tahap 2 belum masuk.  ",
        complainant=Complainant(name="Aminah"),
        filed_at=FILED,
    )


def test_a_new_complaint_is_queued_with_its_text_trimmed():
    complaint = _complaint()
    assert complaint.state is ComplaintState.QUEUED
    assert complaint.description == "Dana tahap 2 belum masuk."


def test_a_complaint_follows_its_lifecycle_and_refuses_shortcuts():
    complaint = _complaint().moved_to(ComplaintState.SYNCED).moved_to(ComplaintState.IN_PROGRESS)
    resolved = complaint.moved_to(ComplaintState.RESOLVED)
    assert resolved.moved_to(ComplaintState.REOPENED).state is ComplaintState.REOPENED
    with pytest.raises(ValueError):
        _complaint().moved_to(ComplaintState.RESOLVED)
    with pytest.raises(ValueError):
        resolved.moved_to(ComplaintState.CLOSED).moved_to(ComplaintState.RESOLVED)
