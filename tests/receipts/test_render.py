"""Rendered receipts are real PDF and PNG files of the right size, and their QR codes scan back."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import zxingcpp
from PIL import Image, ImageFont

from kiosk.assets import assets_dir
from kiosk.domain.receipts import (
    MissingDocument,
    Receipt,
    ReceiptKind,
    make_receipt_code,
    verify_receipt_code,
)
from kiosk.domain.register_numbers import RegisterNumber
from kiosk.receipts.layout import Line, QrCode, receipt_blocks
from kiosk.receipts.render import (
    FONT_REGULAR,
    PaperWidth,
    ReceiptFormat,
    format_for,
    render_pdf,
    render_png,
    wrap,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(32)
NUMBER = RegisterNumber("7KQ2ZB", 42)
FULL_NIK = "3174011405090003"
POINTS_PER_MM = 72 / 25.4


def submission_receipt(missing: int = 2) -> Receipt:
    documents = tuple(
        MissingDocument(
            f"doc{index}",
            {"id": f"Fotokopi KK nomor {index} — asli • salinan", "en": f"Copy of KK {index}"},
            {"id": "KK menunjukkan hubungan keluarga.", "en": "The KK shows the family."},
            {"id": "Fotokopi yang jelas terbaca.", "en": "A legible copy."},
        )
        for index in range(missing)
    )
    return Receipt(
        kind=ReceiptKind.SUBMISSION,
        register_number=NUMBER,
        code=make_receipt_code(NUMBER, KEY),
        issued_on=date(2026, 3, 2),
        next_step={"id": "Langkah berikutnya: bawa dokumen.", "en": "Next step: bring them."},
        nik_masked=FULL_NIK,
        program={"id": "KJP Plus (Kartu Jakarta Pintar Plus)", "en": "KJP Plus"},
        stage={"id": "Tahap I (Januari sampai Juni)", "en": "Stage I (January to June)"},
        missing=documents,
    )


def complaint_receipt() -> Receipt:
    return Receipt(
        kind=ReceiptKind.COMPLAINT,
        register_number=NUMBER,
        code=make_receipt_code(NUMBER, KEY),
        issued_on=date(2026, 3, 2),
        next_step={"id": "Tunggu tanggapan.", "en": "Wait for a response."},
        nik_masked=FULL_NIK,
        category={"id": "Pencairan terlambat", "en": "Late disbursement"},
        first_response_due=date(2026, 3, 5),
        resolution_due=date(2026, 3, 7),
    )


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [
        (
            round((float(x1) - float(x0)) / POINTS_PER_MM, 1),
            round((float(y1) - float(y0)) / POINTS_PER_MM, 1),
        )
        for x0, y0, x1, y1 in boxes
    ]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def qr_texts(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


# --- PDF ----------------------------------------------------------------------------------------


def test_an_a6_pdf_has_a6_pages():
    pdf = render_pdf(complaint_receipt(), PaperWidth.A6)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == 1
    assert page_sizes_mm(pdf) == [(105.0, 148.0)]


def test_a_long_a6_receipt_continues_on_more_a6_pages():
    pdf = render_pdf(submission_receipt(missing=8), PaperWidth.A6)
    assert page_count(pdf) > 1
    assert set(page_sizes_mm(pdf)) == {(105.0, 148.0)}


def test_a_thermal_pdf_is_58_mm_wide_and_as_long_as_its_content():
    short = page_sizes_mm(render_pdf(complaint_receipt(), PaperWidth.THERMAL_58))
    long = page_sizes_mm(render_pdf(submission_receipt(missing=6), PaperWidth.THERMAL_58))
    assert len(short) == len(long) == 1  # one page each, cut to length
    assert short[0][0] == long[0][0] == 58.0
    assert 60 < short[0][1] < long[0][1]


# --- PNG ----------------------------------------------------------------------------------------


def test_a_thermal_png_is_384_dots_wide_black_and_white_at_203_dpi():
    image = Image.open(io.BytesIO(render_png(submission_receipt(), PaperWidth.THERMAL_58)))
    assert image.format == "PNG"
    assert image.width == 384
    assert image.mode == "1"
    assert round(image.info["dpi"][0]) == 203


def test_an_a6_png_is_at_least_one_a6_page_at_300_dpi():
    image = Image.open(io.BytesIO(render_png(complaint_receipt(), PaperWidth.A6)))
    assert image.size == (1240, 1748)  # 105 x 148 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300


@pytest.mark.parametrize("width", list(PaperWidth))
def test_the_qr_on_a_png_receipt_scans_back_and_verifies_only_with_the_device_key(width):
    png = render_png(submission_receipt(), width)
    [text] = qr_texts(png)
    assert verify_receipt_code(text, KEY) == NUMBER
    assert verify_receipt_code(text, OTHER_KEY) is None


# --- content ------------------------------------------------------------------------------------


def test_a_receipt_never_prints_the_full_nik():
    for receipt in (submission_receipt(), complaint_receipt()):
        printed = " ".join(b.text for b in receipt_blocks(receipt) if isinstance(b, Line))
        assert FULL_NIK not in printed
        assert "3174********0003" in printed
        qr = [b.payload for b in receipt_blocks(receipt) if isinstance(b, QrCode)]
        assert all(FULL_NIK not in payload for payload in qr)


def test_a_submission_receipt_lists_what_is_missing_and_why_in_indonesian_then_english():
    lines = [b.text for b in receipt_blocks(submission_receipt()) if isinstance(b, Line)]
    start = lines.index("Dokumen yang masih kurang (2):")
    assert lines[start + 1] == "Documents still missing (2):"
    assert lines[start + 2].startswith("• Fotokopi KK nomor 0")
    assert lines[start + 3] == "Mengapa: KK menunjukkan hubungan keluarga."
    assert lines[start + 4] == "Yang diterima: Fotokopi yang jelas terbaca."
    assert lines[start + 5].startswith("Copy of KK 0. Why: The KK shows the family.")
    assert "Langkah berikutnya: bawa dokumen." in lines
    assert "Tanggal: 2 Maret 2026" in lines
    assert "Date: 2 March 2026" in lines


def test_a_complaint_receipt_gives_its_answer_by_dates():
    lines = [b.text for b in receipt_blocks(complaint_receipt()) if isinstance(b, Line)]
    assert "Jenis pengaduan: Pencairan terlambat" in lines
    assert "Tanggapan pertama paling lambat: 5 Maret 2026" in lines
    assert "Jawaban paling lambat: 7 Maret 2026" in lines
    assert "Answer due by: 7 March 2026" in lines


def test_wrapping_never_overflows_and_cuts_words_longer_than_a_line():
    font = ImageFont.truetype(str(assets_dir() / FONT_REGULAR), 22)
    text = "Formulir kelengkapan data " + "x" * 80 + " selesai"
    lines = wrap(text, font, 200)
    assert all(font.getlength(line) <= 200 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_the_format_follows_the_extension():
    from pathlib import Path

    assert format_for(Path("r.PDF")) is ReceiptFormat.PDF
    assert format_for(Path("r.png")) is ReceiptFormat.PNG
    assert format_for(Path("r.jpg")) is None
    assert format_for(Path("r")) is None


def test_the_shipped_font_has_its_licence():
    licence = (assets_dir() / "fonts" / "LICENSE").read_text(encoding="utf-8")
    assert "Bitstream" in licence
    assert (assets_dir() / FONT_REGULAR).is_file()
