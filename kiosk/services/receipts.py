"""Printing a receipt after a submission or a complaint: what it says, signed, written to a file.

The receipt carries the register number as a QR code with this device's MAC, the NIK masked, what
is still missing and why (from the program rules in force), the next step, and for a complaint the
answer-by dates.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.bootstrap import Kiosk
from kiosk.domain.receipts import MissingDocument, Receipt, ReceiptKind, make_receipt_code
from kiosk.domain.register_numbers import parse_register_number
from kiosk.domain.requirements import ProgramRules, Stage, Texts
from kiosk.errors import InputError, KioskError, NotFoundError
from kiosk.i18n import bilingual
from kiosk.receipts.render import PaperWidth, ReceiptFormat, format_for, render_receipt
from kiosk.services.status import status_of
from kiosk.store.keys import receipt_key
from kiosk.store.records import find_by_register_number
from kiosk.store.rules import load_program

__all__ = [
    "PaperWidth",
    "ReceiptFormat",
    "WrittenReceipt",
    "format_for",
    "receipt_for",
    "write_receipt",
]


def receipt_for(kiosk: Kiosk, typed_number: str) -> Receipt:
    """The receipt of the submission or complaint with this register number on this device."""
    report = status_of(kiosk, typed_number)  # InputError or NotFoundError for a bad number
    found = find_by_register_number(kiosk.db, report.register_number)
    if found is None:  # status_of has just found it; records are never deleted
        raise NotFoundError(
            "no submission or complaint has this register number on this device",
            where="register_number",
            code="status.not_found",
            params={"number": report.register_number},
        )
    record: dict[str, Any] = found["record"]
    number = parse_register_number(report.register_number)
    common: dict[str, Any] = {
        "register_number": number,
        "code": make_receipt_code(number, receipt_key(kiosk.db)),
        "next_step": bilingual(report.next_step_code),
        "nik_masked": report.nik_masked,
    }
    rules = _rules(kiosk, record.get("program"))
    if report.kind == "submission":
        stage = _stage(rules, record["stage"])
        return Receipt(
            kind=ReceiptKind.SUBMISSION,
            issued_on=_day(record["created_at"]),
            program=rules.name if rules else _same(record["program"]),
            stage=_stage_texts(stage) if stage else _same(str(record["stage"])),
            missing=tuple(
                _missing(rules, stage, record.get("facts", {}), entry["document"], entry["title"])
                for entry in report.missing_documents
            ),
            **common,
        )
    return Receipt(
        kind=ReceiptKind.COMPLAINT,
        issued_on=_day(record["filed_at"]),
        program=(rules.name if rules else _same(record["program"]))
        if record.get("program")
        else None,
        category=bilingual(f"category.{record['category']}"),
        first_response_due=_day(record["first_response_due"]),
        resolution_due=_day(record["resolution_due"]),
        **common,
    )


@dataclass(frozen=True)
class WrittenReceipt:
    receipt: Receipt
    path: Path
    format: ReceiptFormat
    width: PaperWidth

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready facts about the file (not the QR payload: that is for the paper only)."""
        return {
            "register_number": str(self.receipt.register_number),
            "kind": self.receipt.kind.value,
            "path": str(self.path),
            "format": self.format.value,
            "width": self.width.value,
            "nik": self.receipt.nik_masked,
            "missing": [item.document for item in self.receipt.missing],
        }


def write_receipt(
    kiosk: Kiosk, typed_number: str, path: Path, width: PaperWidth = PaperWidth.A6
) -> WrittenReceipt:
    """Render the receipt as PDF or PNG (by the file's extension) and write it atomically."""
    fmt = format_for(path)
    if fmt is None:
        raise InputError(
            "the receipt file must end in .pdf or .png",
            where=str(path),
            code="receipt.bad_extension",
        )
    receipt = receipt_for(kiosk, typed_number)
    _write_atomically(Path(path), render_receipt(receipt, fmt, width))
    return WrittenReceipt(receipt, Path(path), fmt, width)


def _write_atomically(path: Path, content: bytes) -> None:
    # A printer spooler watching the folder must never pick up half a receipt.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"cannot write the receipt: {reason}",
            where=str(path),
            code="receipt.unwritable",
            params={"reason": reason},
        ) from exc


def _rules(kiosk: Kiosk, program: str | None) -> ProgramRules | None:
    """The program's rules in force, or None: a receipt still prints if the rules went away."""
    if not program:
        return None
    try:
        return load_program(program, kiosk.data_dir)
    except KioskError:
        return None


def _stage(rules: ProgramRules | None, number: int) -> Stage | None:
    if rules is None:
        return None
    try:
        return rules.stage(int(number))
    except KioskError:
        return None


def _stage_texts(stage: Stage) -> Texts:
    return {
        language: f"{stage.title[language]} ({stage.period[language]})" for language in stage.title
    }


def _same(value: str) -> Texts:
    return {"id": value, "en": value}


def _missing(
    rules: ProgramRules | None,
    stage: Stage | None,
    facts: dict[str, Any],
    document: str,
    title: Texts,
) -> MissingDocument:
    """A missing document with the why/accept of the requirement that applies to these answers."""
    if rules is None or stage is None:
        return MissingDocument(document, title)
    for requirement in stage.requirements:
        if requirement.document != document:
            continue
        if all(
            condition.holds(facts[condition.fact])
            for condition in requirement.when
            if condition.fact in facts
        ):
            return MissingDocument(document, title, requirement.why, requirement.accept)
    return MissingDocument(document, title)


def _day(iso: str) -> date:
    return date.fromisoformat(iso[:10])
