"""Self-check by NIK and birth date: the beneficiary's own records on this device, NIK masked.

The birth date is a second thing only the person should know alongside the NIK; a mismatch and an
unknown NIK give the same answer, so the kiosk never confirms that someone's NIK is on file.
"""

from __future__ import annotations

import re
from datetime import date

from kiosk.bootstrap import Kiosk
from kiosk.domain.identity import parse_nik
from kiosk.domain.payloads import PayloadKind
from kiosk.errors import InputError, NotFoundError
from kiosk.services.scanning import open_scanned_receipt, payloads_in_photo
from kiosk.services.status import StatusReport, status_of

_DAY_FIRST = re.compile(r"\s*(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})\s*")
_YEAR_FIRST = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")
_COMPACT = re.compile(r"\s*(\d{2})(\d{2})(\d{4})\s*")


def parse_birth_date(typed: str) -> date:
    """DD-MM-YYYY (also / . or space, or DDMMYYYY) the way Indonesians write it; or YYYY-MM-DD."""
    match = _DAY_FIRST.fullmatch(typed) or _COMPACT.fullmatch(typed)
    parts: tuple[int, int, int] | None = None
    if match:
        parts = (int(match[3]), int(match[2]), int(match[1]))
    elif found := _YEAR_FIRST.fullmatch(typed):
        parts = (int(found[1]), int(found[2]), int(found[3]))
    try:
        if parts is None:
            raise ValueError(typed)
        return date(*parts)
    except ValueError as exc:
        raise InputError(
            "the birth date is not a date like 31-12-1980",
            where="birth_date",
            code="selfcheck.bad_birth_date",
        ) from exc


def status_by_nik(kiosk: Kiosk, nik: str, birth_date: str) -> list[StatusReport]:
    """Every submission and complaint of this NIK on this device, newest first."""
    result = parse_nik(nik)
    if not result.valid or result.number is None:
        first = result.errors[0]
        raise InputError(first.code, where="nik", code=first.code, params=dict(first.params))
    born = parse_birth_date(birth_date)
    # The NIK holds day, month and two year digits: the century is the person's to say.
    candidates = result.birth_date_candidates or ((result.birth_date,) if result.birth_date else ())
    if born not in candidates:
        raise _nothing_found()
    numbers = [
        row[0]
        for table in ("submissions", "complaints")
        for row in kiosk.db.execute(
            f"SELECT register_number, created_at FROM {table} WHERE nik = ? "
            "ORDER BY created_at DESC",
            [result.number],
        ).fetchall()
    ]
    if not numbers:
        raise _nothing_found()
    return [status_of(kiosk, number) for number in numbers]


def _nothing_found() -> NotFoundError:
    return NotFoundError(
        "no record for this NIK and birth date on this device",
        where="nik",
        code="selfcheck.nothing_found",
    )


def status_from_photo(kiosk: Kiosk, data: bytes, *, name: str = "photo") -> StatusReport:
    """Decode a photo of a receipt, check its signature, and open its record's status."""
    payloads = payloads_in_photo(kiosk, data, name=name)
    if not payloads:
        raise InputError("no code found in the photo", where=name, code="selfcheck.no_code")
    receipts = [p for p in payloads if p.kind is PayloadKind.RECEIPT] or payloads
    return open_scanned_receipt(kiosk, receipts[0])
