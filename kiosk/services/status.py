"""Where a submission or complaint stands, in plain words, found by its register number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.bootstrap import Kiosk
from kiosk.domain.identity import mask_nik
from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number
from kiosk.errors import InputError, KioskError, NotFoundError
from kiosk.store.records import find_by_register_number

SETTLED_STATES = frozenset({"verified", "disbursed"})


@dataclass(frozen=True)
class StatusReport:
    kind: str  # "submission" or "complaint"
    register_number: str
    state: str
    updated_at: str
    nik_masked: str | None
    status_note: str | None  # the central staff's note: Indonesian, or as a staff member typed it
    # Submission: the documents still missing (id and titles); complaint: its category and dates.
    missing_documents: tuple[dict[str, Any], ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    status_note_en: str | None = None  # its English, when the server sent one

    def note_in(self, lang: str) -> str | None:
        """The status note in `lang`: English when asked for and sent, else `status_note`."""
        return note_in(lang, self.status_note, self.status_note_en)

    @property
    def state_code(self) -> str:
        """Translation key of the sentence that explains the state."""
        return f"status.{self.kind}.{self.state}"

    @property
    def next_step_code(self) -> str:
        if (
            self.kind == "submission"
            and self.missing_documents
            and self.state in ("queued", "synced")
        ):
            return "next.bring_missing"
        return f"next.{self.kind}.{self.state}"


def note_in(lang: str, note: str | None, note_en: str | None) -> str | None:
    """The staff's note to show in `lang`: the English one when asked for and present."""
    if lang == "en" and note_en:
        return note_en
    return note


def status_of(kiosk: Kiosk, typed: str) -> StatusReport:
    try:
        number = str(parse_register_number(typed))
    except RegisterNumberError as exc:
        raise InputError(exc.reason, where="register_number", code=exc.reason) from exc
    found = find_by_register_number(kiosk.db, number)
    if found is None:
        raise NotFoundError(
            "no submission or complaint has this register number on this device",
            where="register_number",
            code="status.not_found",
            params={"number": number},
        )
    record = found["record"]
    if found["kind"] == "submission":
        nik = record["applicant"]["nik"]
        return StatusReport(
            kind="submission",
            register_number=number,
            state=found["state"],
            updated_at=found["updated_at"],
            nik_masked=mask_nik(nik),
            status_note=found["status_note"],
            status_note_en=found["status_note_en"],
            # Once staff verified it (or paid it), the counter's list of gaps is history.
            missing_documents=()
            if found["state"] in SETTLED_STATES
            else tuple(
                _document_titles(kiosk, record["program"], document)
                for document in record["device_verdict"]["missing_documents"]
            ),
            details={
                "program": record["program"],
                "stage": record["stage"],
                "completeness": record["device_verdict"]["completeness"],
            },
        )
    nik = record["complainant"].get("nik")
    return StatusReport(
        kind="complaint",
        register_number=number,
        state=found["state"],
        updated_at=found["updated_at"],
        nik_masked=mask_nik(nik) if nik else None,
        status_note=found["status_note"],
        status_note_en=found["status_note_en"],
        details={
            "category": record["category"],
            "first_response_due": record["first_response_due"],
            "resolution_due": record["resolution_due"],
        },
    )


def _document_titles(kiosk: Kiosk, program: str, document: str) -> dict[str, Any]:
    """The document's id with its titles from the program's rules (the id alone if rules changed)."""
    from kiosk.store.rules import load_program

    try:
        rules = load_program(program, kiosk.data_dir)
    except KioskError:
        return {"document": document, "title": {"id": document, "en": document}}
    for candidate in rules.documents:
        if candidate.id == document:
            return {"document": document, "title": dict(candidate.title)}
    return {"document": document, "title": {"id": document, "en": document}}
