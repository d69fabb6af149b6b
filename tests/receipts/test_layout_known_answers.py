"""The exact wording and order of printed receipts for fixed records.

A receipt is read by people who were told what it says and by officers who compare it with others
printed earlier, so a line that moves, disappears or changes its words must fail here first and be
changed on purpose, never as a side effect of editing a translation file or the layout.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from kiosk.domain.receipts import MissingDocument, Receipt, ReceiptKind
from kiosk.domain.register_numbers import RegisterNumber
from kiosk.receipts.layout import Block, Line, QrCode, Rule, receipt_blocks

NUMBER = RegisterNumber("7KQ2ZB", 42)
# The QR text is pinned in tests/domain/test_receipts.py; here it is only carried through.
CODE = "LKP1:7KQ2ZB-000042-9:CPZVEHD5CNTLSMAT"


def printed(blocks: tuple[Block, ...]) -> list[str]:
    """One text line per block: the style and placement, then what is printed."""
    out = []
    for block in blocks:
        if isinstance(block, Rule):
            out.append("----")
        elif isinstance(block, QrCode):
            out.append(f"qr: {block.payload}")
        else:
            assert isinstance(block, Line)
            flags = "".join(
                (" indent" if block.indent else "", " centred" if block.centred else "")
            )
            out.append(f"{block.style.value}{flags}: {block.text}")
    return out


SUBMISSION = Receipt(
    kind=ReceiptKind.SUBMISSION,
    register_number=NUMBER,
    code=CODE,
    issued_on=date(2026, 3, 2),
    next_step={
        "id": "Bawa dokumen ke kelurahan.",
        "en": "Bring the documents to the village office.",
    },
    nik_masked="3174011405090003",
    program={"id": "KJP Plus", "en": "KJP Plus"},
    stage={"id": "Tahap I", "en": "Stage I"},
    missing=(
        MissingDocument(
            "kk",
            {"id": "Kartu Keluarga", "en": "Family card"},
            {"id": "Menunjukkan hubungan keluarga.", "en": "It shows the family."},
            {"id": "Fotokopi yang jelas.", "en": "A legible copy."},
        ),
        MissingDocument("ktp", {"id": "KTP orang tua", "en": "Parent's ID card"}),
    ),
)

SUBMISSION_LINES = [
    "title centred: TANDA TERIMA",
    "muted centred: RECEIPT",
    "muted centred: Lengkap - kiosk verifikasi bantuan sosial",
    "qr: LKP1:7KQ2ZB-000042-9:CPZVEHD5CNTLSMAT",
    "number centred: 7KQ2ZB-000042-9",
    "muted centred: Nomor registrasi / Register number",
    "----",
    "heading: Pengajuan / Submission",
    "body: Program: KJP Plus",
    "muted: Program: KJP Plus",
    "body: Tahap: Tahap I",
    "muted: Stage: Stage I",
    "body: Tanggal: 2 Maret 2026",
    "muted: Date: 2 March 2026",
    "body: NIK: 3174********0003",
    "----",
    "heading: Dokumen yang masih kurang (2):",
    "muted: Documents still missing (2):",
    "heading: • Kartu Keluarga",
    "body indent: Mengapa: Menunjukkan hubungan keluarga.",
    "body indent: Yang diterima: Fotokopi yang jelas.",
    "muted indent: Family card. Why: It shows the family. Accepted: A legible copy.",
    "heading: • KTP orang tua",
    "muted indent: Parent's ID card",
    "----",
    "heading: Bawa dokumen ke kelurahan.",
    "muted: Bring the documents to the village office.",
    "----",
    "body: Simpan tanda terima ini. Pindai kodenya di kiosk ini, atau sebutkan nomor"
    " registrasinya, untuk melihat status.",
    "muted: Keep this receipt. Scan its code at this kiosk, or quote the register number, to see"
    " the status.",
    "body: Kode QR ini hanya bisa diperiksa keasliannya di kiosk yang mencetaknya.",
    "muted: This QR code can only be checked as genuine at the kiosk that printed it.",
]

COMPLAINT = Receipt(
    kind=ReceiptKind.COMPLAINT,
    register_number=NUMBER,
    code=CODE,
    issued_on=date(2026, 12, 31),
    next_step={"id": "Tunggu tanggapan.", "en": "Wait for a response."},
    category={"id": "Pencairan terlambat", "en": "Late disbursement"},
    first_response_due=date(2027, 1, 5),
    resolution_due=date(2027, 1, 14),
)

COMPLAINT_LINES = [
    "title centred: TANDA TERIMA",
    "muted centred: RECEIPT",
    "muted centred: Lengkap - kiosk verifikasi bantuan sosial",
    "qr: LKP1:7KQ2ZB-000042-9:CPZVEHD5CNTLSMAT",
    "number centred: 7KQ2ZB-000042-9",
    "muted centred: Nomor registrasi / Register number",
    "----",
    "heading: Pengaduan / Complaint",
    "body: Jenis pengaduan: Pencairan terlambat",
    "muted: Complaint type: Late disbursement",
    "body: Tanggal: 31 Desember 2026",
    "muted: Date: 31 December 2026",
    "----",
    "body: Tanggapan pertama paling lambat: 5 Januari 2027",
    "muted: First response due by: 5 January 2027",
    "body: Jawaban paling lambat: 14 Januari 2027",
    "muted: Answer due by: 14 January 2027",
    "----",
    "heading: Tunggu tanggapan.",
    "muted: Wait for a response.",
    "----",
    "body: Simpan tanda terima ini. Pindai kodenya di kiosk ini, atau sebutkan nomor"
    " registrasinya, untuk melihat status.",
    "muted: Keep this receipt. Scan its code at this kiosk, or quote the register number, to see"
    " the status.",
    "body: Kode QR ini hanya bisa diperiksa keasliannya di kiosk yang mencetaknya.",
    "muted: This QR code can only be checked as genuine at the kiosk that printed it.",
]


def test_a_submission_receipt_with_two_missing_documents_prints_exactly_these_lines():
    assert printed(receipt_blocks(SUBMISSION)) == SUBMISSION_LINES


def test_a_complaint_receipt_without_a_nik_prints_exactly_these_lines():
    assert printed(receipt_blocks(COMPLAINT)) == COMPLAINT_LINES


def test_a_complete_submission_says_so_where_the_missing_list_would_be():
    complete = printed(receipt_blocks(replace(SUBMISSION, missing=())))
    start = complete.index("body: NIK: 3174********0003") + 1
    assert complete[start : start + 4] == [
        "----",
        "body: Dokumen lengkap.",
        "muted: Documents complete.",
        "----",
    ]
