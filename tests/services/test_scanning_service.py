"""Scanning at a kiosk: receipts it printed open their record; others are told apart, not opened."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.domain.payloads import PayloadKind
from kiosk.domain.receipts import ReceiptKind, make_receipt_code
from kiosk.domain.register_numbers import RegisterNumber, parse_register_number
from kiosk.errors import InputError, NotFoundError
from kiosk.services.complaints import file_new_complaint
from kiosk.services.receipts import PaperWidth, receipt_for, write_receipt
from kiosk.services.scanning import (
    classify_read,
    decode_text,
    keyboard_wedge,
    open_scanned_receipt,
)
from kiosk.services.submissions import record_submission
from kiosk.store.records import device_code
from tests.support.requests import MOTHER_NIK, STUDENT_NIK, kjp_request


def fixed_clock() -> datetime:
    return datetime(2026, 3, 2, 9, 30).astimezone()


@pytest.fixture
def submission_number(kiosk) -> str:
    request = kjp_request()
    request["facts"]["recipient"] = "new"
    outcome = record_submission(kiosk, request, clock=fixed_clock)
    return str(outcome.submission.register_number)


@pytest.fixture
def complaint_number(kiosk) -> str:
    complaint = file_new_complaint(
        kiosk,
        category="late_disbursement",
        description="Dana tahap I belum cair.",
        name="Hj. Aminah",
        nik=MOTHER_NIK,
        clock=fixed_clock,
    )
    return str(complaint.register_number)


def scan_png(path: Path) -> tuple[str, bytes]:
    [result] = zxingcpp.read_barcodes(Image.open(path))
    return result.text, result.bytes


# --- the whole loop: print, scan, open ----------------------------------------------------------


@pytest.mark.parametrize("width", list(PaperWidth))
def test_a_printed_receipt_scanned_back_opens_its_status(kiosk, submission_number, tmp_path, width):
    path = tmp_path / "receipt.png"
    write_receipt(kiosk, submission_number, path, width)
    text, raw = scan_png(path)
    payload = classify_read(kiosk, text, raw)
    assert payload.kind is PayloadKind.RECEIPT
    assert payload.valid
    report = open_scanned_receipt(kiosk, payload)
    assert report.register_number == submission_number
    assert report.kind == "submission"
    assert report.nik_masked == "3174********0003"


def test_a_scanned_complaint_receipt_opens_the_complaint(kiosk, complaint_number):
    code = receipt_for(kiosk, complaint_number).code
    report = open_scanned_receipt(kiosk, classify_read(kiosk, code, code.encode()))
    assert report.kind == "complaint"
    assert report.register_number == complaint_number


def test_a_receipt_with_this_kiosks_number_but_another_key_is_refused_as_forged(
    kiosk, submission_number
):
    forged = make_receipt_code(parse_register_number(submission_number), b"\x00" * 32)
    payload = classify_read(kiosk, forged, forged.encode())
    assert not payload.valid
    with pytest.raises(InputError) as caught:
        open_scanned_receipt(kiosk, payload)
    assert caught.value.code == "payload.receipt.forged"


def test_a_receipt_from_another_kiosk_is_not_verifiable_here(kiosk):
    other_device = "ABCDEF" if device_code(kiosk.db) != "ABCDEF" else "BCDEFG"
    code = make_receipt_code(RegisterNumber(other_device, 5), b"\x07" * 32)
    payload = classify_read(kiosk, code, code.encode())
    with pytest.raises(InputError) as caught:
        open_scanned_receipt(kiosk, payload)
    assert caught.value.code == "payload.receipt.not_verifiable_here"


def test_anything_but_a_receipt_opens_nothing(kiosk):
    payload = classify_read(kiosk, STUDENT_NIK, STUDENT_NIK.encode())
    with pytest.raises(InputError) as caught:
        open_scanned_receipt(kiosk, payload)
    assert caught.value.code == "receipt.not_receipt"
    assert STUDENT_NIK not in str(caught.value)


def test_a_handheld_scanner_reading_a_receipt_opens_its_status(kiosk, submission_number):
    wedge = keyboard_wedge(kiosk)
    events = []
    for index, char in enumerate("]Q1" + receipt_for(kiosk, submission_number).code + "\r"):
        events += wedge.feed(char, 50.0 + index * 0.003)
    [read] = events
    assert read.symbology == "qr"
    assert open_scanned_receipt(kiosk, read.payload).register_number == submission_number


# --- classification with the kiosk's settings ---------------------------------------------------


def test_invitations_are_recognised_with_the_shipped_patterns(kiosk):
    payload = classify_read(kiosk, "KJP-2026-T1-004512", b"KJP-2026-T1-004512", clock=fixed_clock)
    assert payload.kind is PayloadKind.INVITATION
    assert payload.valid


def test_a_device_can_change_the_invitation_patterns(kiosk):
    folder = kiosk.data_dir / "scan"
    folder.mkdir()
    (folder / "invitations.toml").write_text(
        "[[invitation]]\n"
        'program = "pkh"\n'
        'prefix = "UND/"\n'
        "pattern = 'UND/(?P<number>[0-9]{4})'\n"
        'example = "UND/0001"\n',
        encoding="utf-8",
    )
    assert classify_read(kiosk, "UND/0042", b"UND/0042").fields["number"] == "0042"
    assert classify_read(kiosk, "KJP-2026-T1-004512", b"").kind is PayloadKind.UNRECOGNISED


def test_a_kk_signature_link_is_recognised(kiosk):
    link = "https://sidukcapil.dukcapil.kemendagri.go.id/verify/abc"
    assert classify_read(kiosk, link, link.encode()).kind is PayloadKind.DUKCAPIL_LINK


def test_binary_bytes_stay_binary_and_utf8_bytes_are_read(kiosk):
    assert classify_read(kiosk, None, b"\xff\xfe\x00").kind is PayloadKind.BINARY
    assert decode_text("\ufeffKJP".encode()) == "KJP"
    payload = classify_read(kiosk, None, MOTHER_NIK.encode())
    assert payload.kind is PayloadKind.NIK


# --- what a receipt says ------------------------------------------------------------------------


def test_a_submission_receipt_lists_the_missing_documents_with_why_and_what_counts(
    kiosk, submission_number
):
    receipt = receipt_for(kiosk, submission_number)
    assert receipt.kind is ReceiptKind.SUBMISSION
    assert receipt.nik_masked == "3174********0003"
    assert receipt.program and receipt.program["id"].startswith("KJP Plus")
    assert receipt.stage == {
        "id": "Tahap II (Juli sampai Desember)",
        "en": "Stage II (July to December)",
    }
    missing = {item.document: item for item in receipt.missing}
    assert "kartu_pelajar" in missing  # a new SMA student must show a student card
    assert "kk" not in missing  # brought
    assert missing["kartu_pelajar"].why and missing["kartu_pelajar"].why["id"].startswith(
        "Untuk siswa SMA/SMK"
    )
    assert missing["kartu_pelajar"].accept
    assert receipt.next_step["id"].startswith("Langkah berikutnya")
    assert receipt.issued_on.isoformat() == "2026-03-02"


def test_a_complaint_receipt_has_its_category_and_answer_by_dates(kiosk, complaint_number):
    receipt = receipt_for(kiosk, complaint_number)
    assert receipt.kind is ReceiptKind.COMPLAINT
    assert receipt.category == {"id": "Pencairan terlambat", "en": "Late disbursement"}
    assert receipt.first_response_due and receipt.resolution_due
    assert receipt.first_response_due <= receipt.resolution_due
    assert receipt.nik_masked == "3174********0002"


def test_an_unknown_register_number_has_no_receipt(kiosk):
    with pytest.raises(NotFoundError):
        receipt_for(kiosk, str(RegisterNumber("ABCDEF", 999)))


def test_a_receipt_file_needs_a_pdf_or_png_name(kiosk, submission_number, tmp_path):
    with pytest.raises(InputError) as caught:
        write_receipt(kiosk, submission_number, tmp_path / "receipt.jpg")
    assert caught.value.code == "receipt.bad_extension"


def test_an_unwritable_path_is_a_handled_error_and_leaves_nothing_behind(
    kiosk, submission_number, tmp_path
):
    target = tmp_path / "missing-folder" / "receipt.pdf"
    with pytest.raises(InputError) as caught:
        write_receipt(kiosk, submission_number, target)
    assert caught.value.code == "receipt.unwritable"
    assert not target.parent.exists()
