"""Complaints: what filing keeps, and what a refused move says (cases found by mutation testing)."""

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


def test_a_filed_complaint_keeps_every_detail_it_was_given():
    number = RegisterNumber("ABCDEF", 7)
    complainant = Complainant(name="Aminah", nik="3171014107050001", phone="081234567890")
    complaint = file_complaint(
        client_id="c-42",
        register_number=number,
        category=ComplaintCategory.WRONG_DATA,
        description="Nama ibu salah ketik.",
        complainant=complainant,
        filed_at=FILED,
        program="pkh",
        related_register_number="ABCDEF-000001-X",
    )
    assert complaint.client_id == "c-42"
    assert complaint.register_number == number
    assert complaint.category is ComplaintCategory.WRONG_DATA
    assert complaint.complainant == complainant
    assert complaint.filed_at == FILED
    assert complaint.deadlines == deadlines_for(ComplaintCategory.WRONG_DATA, FILED)
    assert complaint.program == "pkh"
    assert complaint.related_register_number == "ABCDEF-000001-X"


def test_a_refused_move_names_both_states():
    complaint = file_complaint(
        client_id="c-1",
        register_number=RegisterNumber("ABCDEF", 1),
        category=ComplaintCategory.OTHER,
        description="-",
        complainant=Complainant(name="Aminah"),
        filed_at=FILED,
    )
    with pytest.raises(ValueError, match="from queued to closed"):
        complaint.moved_to(ComplaintState.CLOSED)
