"""The officer's counter in the app: save with photos held in memory, receipts, printing, the list.

Thin wrappers over the submission, roster and receipt services for what a screen holds (bytes from
a file picker, not paths) and what it shows (the outbox state of each submission, with its reason).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.bootstrap import Kiosk
from kiosk.domain.identity import mask_nik
from kiosk.domain.names import NameMatch, compare_names
from kiosk.errors import InputError
from kiosk.services.receipts import write_receipt
from kiosk.services.roster import find_by_nik
from kiosk.services.status import note_in
from kiosk.services.submissions import SubmissionOutcome, record_submission
from kiosk.store.roster import RosterEntry

PRINTER_ENV = "KIOSK_PRINTER"  # the CUPS queue name of the counter's receipt printer


def save_verification(
    kiosk: Kiosk, request: Mapping[str, Any], photos: Mapping[str, bytes]
) -> SubmissionOutcome:
    """record_submission with each document's photo given as bytes (document id -> bytes).

    The bytes go to a private temporary folder only for the call: record_submission normalises
    them into the attachment store and the originals (with their EXIF) are deleted at once.
    """
    documents = [dict(item) for item in request.get("documents", [])]
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=kiosk.data_dir) as folder:
        for item in documents:
            data = photos.get(str(item.get("type")))
            if data:
                name = f"{item['type']}.img"
                (Path(folder) / name).write_bytes(data)
                item["photo"] = name
        return record_submission(
            kiosk,
            {**request, "documents": documents},
            source="app",
            base_dir=Path(folder),
        )


@dataclass(frozen=True)
class RosterCheck:
    """The roster entry for a NIK and how the typed name compares with the registered one."""

    entry: RosterEntry
    name_match: NameMatch | None


def roster_check(
    kiosk: Kiosk, nik: str, typed_name: str, program: str | None = None
) -> RosterCheck | None:
    """None when the NIK is not on this device's roster for the program (InputError if malformed)."""
    entries = find_by_nik(kiosk.db, nik, program)
    if not entries:
        return None
    entry = entries[0]
    match = compare_names(typed_name, entry.name) if typed_name.strip() else None
    return RosterCheck(entry, match)


def receipt_png(kiosk: Kiosk, register_number: str) -> Path:
    """Write the receipt as a PNG in the data folder (for the screen and the printer)."""
    folder = kiosk.data_dir / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{register_number}.png"
    write_receipt(kiosk, register_number, path)
    return path


def printer_name() -> str | None:
    """The configured printer queue, when one is configured and the print command exists."""
    name = os.environ.get(PRINTER_ENV, "").strip()
    return name if name and shutil.which("lp") else None


def print_receipt(path: Path) -> None:
    printer = printer_name()
    if printer is None:
        raise InputError("no printer is configured", code="counter.printer_missing")
    result = subprocess.run(
        ["lp", "-d", printer, str(path)], capture_output=True, text=True, check=False, timeout=30
    )
    if result.returncode != 0:
        raise InputError(
            "the printer refused the receipt",
            code="counter.printer_failed",
            params={"printer": printer},
        )


@dataclass(frozen=True)
class SubmissionLine:
    """One submission as the officer's list shows it: never the full NIK."""

    register_number: str
    program: str
    stage: int
    nik_masked: str
    completeness: str
    outbox_state: str  # pending, sending, sent or quarantined
    reason_code: str | None
    reason: Mapping[str, str] | None  # the server's own sentence, when it sent one
    created_at: str
    state: str = "queued"  # where the record stands: queued, synced, verified, rejected, ...
    status_note: str | None = None  # the central staff's note with that state
    status_note_en: str | None = None  # its English, when the server sent one

    def note_in(self, lang: str) -> str | None:
        """The status note in `lang`: English when asked for and sent, else `status_note`."""
        return note_in(lang, self.status_note, self.status_note_en)


def submission_lines(kiosk: Kiosk, limit: int = 200) -> list[SubmissionLine]:
    """The newest submissions first, each with where it stands in the outbox and why."""
    rows = kiosk.db.execute(
        "SELECT s.register_number, s.program, s.stage, s.nik, s.completeness,"
        " COALESCE(o.state, 'pending'), o.error_code, o.last_error, s.created_at,"
        " s.state, s.status_note, s.status_note_en"
        " FROM submissions s LEFT JOIN outbox o"
        " ON o.kind = 'submission' AND o.client_id = s.client_id"
        " ORDER BY s.created_at DESC, s.rowid DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [
        SubmissionLine(
            register_number=number,
            program=program,
            stage=int(stage),
            nik_masked=mask_nik(nik) if nik else "",
            completeness=completeness,
            outbox_state=state,
            reason_code=code,
            reason=json.loads(error) if error else None,
            created_at=created,
            state=record_state,
            status_note=note,
            status_note_en=note_en,
        )
        for (
            number,
            program,
            stage,
            nik,
            completeness,
            state,
            code,
            error,
            created,
            record_state,
            note,
            note_en,
        ) in rows
    ]
