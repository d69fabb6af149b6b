"""Recording a submission offline: validate what was typed, check the documents, store photos, queue it.

The request is the JSON documented in the README ("Submission JSON"). Every problem names the
field (and the file) it is in; nothing is saved unless everything is valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.banks import account_lengths
from kiosk.bootstrap import Kiosk
from kiosk.domain.accounts import parse_bank_account
from kiosk.domain.findings import Finding, Severity
from kiosk.domain.identity import Role, parse_kk, parse_nik
from kiosk.domain.requirements import Checklist
from kiosk.domain.submissions import (
    Applicant,
    BankAccount,
    Collector,
    Completeness,
    DocumentEvidence,
    Submission,
)
from kiosk.errors import ImageError, InputError, KioskError
from kiosk.regions import default_regions
from kiosk.services.checklist import check_documents
from kiosk.services.clock import Clock, IdFactory, new_client_id, system_clock
from kiosk.store.attachments import (
    PreparedPhoto,
    forget_unregistered,
    keep_photo,
    prepare_photo,
    sweep_orphan_photos,
)
from kiosk.store.records import next_register_number, save_submission

# Whose NIK the applicant's is: decides the plausible century and age (a KJP Plus applicant is the student).
APPLICANT_ROLE = {"kjp-plus": Role.STUDENT, "pkh": Role.ANY}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOP_LEVEL = {
    "program",
    "stage",
    "applicant",
    "collector",
    "bank_account",
    "facts",
    "documents",
    "client_id",
}


@dataclass(frozen=True)
class SubmissionOutcome:
    """What the officer and the person are told after saving."""

    submission: Submission
    checklist: Checklist
    warnings: tuple[Finding, ...]


def record_submission(
    kiosk: Kiosk,
    request: Mapping[str, Any],
    *,
    source: str = "request",
    base_dir: Path | None = None,
    clock: Clock = system_clock,
    new_id: IdFactory = new_client_id,
) -> SubmissionOutcome:
    """Validate `request`, save it with its outbox row, and say what is still missing."""
    now = clock()
    fields = _RequestReader(request, source, today=now.date())
    fields.refuse_unknown(_TOP_LEVEL)
    program = fields.text("program")
    stage = fields.integer("stage")
    facts = fields.mapping("facts", required=False)
    applicant_role = APPLICANT_ROLE.get(program, Role.ANY)
    applicant = _applicant(fields, applicant_role)
    collector = _collector(fields)
    bank_account, account_warnings = _bank_account(fields)
    documents = fields.documents()
    client_id = fields.text("client_id", required=False) or new_id()

    warnings = (
        *_identity_warnings(applicant, applicant_role, collector, now.date()),
        *account_warnings,
    )
    try:
        checklist = check_documents(
            program, stage, facts, {doc for doc, _ in documents}, data_dir=kiosk.data_dir
        )
    except KioskError as exc:
        # The rules name the field (program, stage, a fact); say which file it is in too.
        raise type(exc)(
            exc.detail, where=f"{source}: {exc.where or 'facts'}", code=exc.code, params=exc.params
        ) from exc
    if checklist.missing_facts:
        raise InputError(
            f"answer these questions first: {', '.join(checklist.missing_facts)}",
            where=f"{source}: facts",
            code="submission.missing_facts",
            params={"facts": ", ".join(checklist.missing_facts)},
        )
    # Every photo is read and normalised before anything is written, so one bad photo refuses the
    # submission with nothing on disk; the good ones are written only inside its transaction.
    prepared = [
        _prepare_photo(photo, base_dir, f"{source}: documents[{index}].photo")
        for index, (_doc, photo) in enumerate(documents)
    ]
    written: list[str] = []
    try:
        with kiosk.db.atomic():
            evidence = tuple(
                DocumentEvidence(doc, _keep_photo(kiosk, photo, now, written))
                for (doc, _path), photo in zip(documents, prepared, strict=True)
            )
            submission = Submission(
                client_id=client_id,
                register_number=next_register_number(kiosk.db),
                program=program,
                stage=stage,
                applicant=applicant,
                collector=collector,
                bank_account=bank_account,
                facts=dict(facts),
                documents=evidence,
                completeness=Completeness.COMPLETE
                if checklist.is_complete
                else Completeness.INCOMPLETE,
                missing_documents=tuple(item.document for item in checklist.missing),
                created_at=now,
            ).queued()
            _refuse_duplicate_client_id(kiosk, client_id, source)
            save_submission(kiosk.db, submission)
    except BaseException:
        forget_unregistered(kiosk.db, kiosk.data_dir, written)
        raise
    return SubmissionOutcome(submission, checklist, warnings)


ORPHAN_GRACE = timedelta(hours=1)


def forget_orphan_photos(kiosk: Kiosk, clock: Clock = system_clock) -> int:
    """Remove photo files a crash left without their record; returns how many.

    Run when the app starts. Files younger than an hour are left, in case another process on
    this data folder is saving right now.
    """
    return sweep_orphan_photos(kiosk.db, kiosk.data_dir, older_than=clock() - ORPHAN_GRACE)


def _refuse_duplicate_client_id(kiosk: Kiosk, client_id: str, source: str) -> None:
    if kiosk.db.execute("SELECT 1 FROM submissions WHERE client_id = ?", [client_id]).fetchone():
        raise InputError(
            "a submission with this client_id is already saved",
            where=f"{source}: client_id",
            code="submission.duplicate_client_id",
        )


def _applicant(fields: _RequestReader, role: Role) -> Applicant:
    person = fields.child("applicant", {"nik", "name", "kk", "birth_date"})
    nik = person.valid_nik("nik", role)
    kk = person.text("kk", required=False)
    if kk is not None:
        result = parse_kk(kk, default_regions(), today=fields.today)
        if not result.valid:
            person.reject_findings("kk", result.errors)
        kk = result.number
    return Applicant(
        nik=nik,
        name=person.text("name"),
        kk=kk,
        birth_date=person.iso_date("birth_date"),
    )


def _collector(fields: _RequestReader) -> Collector | None:
    if fields.raw.get("collector") is None:
        return None
    person = fields.child("collector", {"nik", "name", "relation"})
    return Collector(
        nik=person.valid_nik("nik", Role.PARENT),
        name=person.text("name"),
        relation=person.text("relation"),
    )


def _bank_account(fields: _RequestReader) -> tuple[BankAccount | None, tuple[Finding, ...]]:
    """The account, and what only informs (an unknown bank, a length that cannot be checked)."""
    if fields.raw.get("bank_account") is None:
        return None, ()
    account = fields.child("bank_account", {"bank", "account"})
    bank = account.text("bank")
    result = parse_bank_account(account.text("account"), bank, account_lengths())
    if not result.valid:
        account.reject_findings("account", result.errors)
    return BankAccount(bank=bank, account=result.number or ""), result.warnings


def _identity_warnings(
    applicant: Applicant, role: Role, collector: Collector | None, today: date
) -> tuple[Finding, ...]:
    regions = default_regions()
    nik = parse_nik(applicant.nik, regions, role=role, today=today)
    found: list[Finding] = list(nik.warnings)
    stated = applicant.birth_date
    if stated and nik.birth_date_candidates and stated not in _iso(nik.birth_date_candidates):
        # The NIK encodes the birth date Dukcapil registered; a different date typed here is a
        # data mismatch the verifier should see, not a reason to refuse the person.
        found.append(
            Finding(
                "submission.birth_date_differs",
                Severity.WARNING,
                "applicant.birth_date",
                {
                    "nik_date": (nik.birth_date or nik.birth_date_candidates[-1]).strftime(
                        "%d-%m-%Y"
                    )
                },
            )
        )
    if collector:
        found.extend(parse_nik(collector.nik, regions, role=Role.PARENT, today=today).warnings)
    return tuple(found)


def _iso(dates: tuple[date, ...]) -> set[str]:
    return {day.isoformat() for day in dates}


def _prepare_photo(photo: str | None, base_dir: Path | None, where: str) -> PreparedPhoto | None:
    if photo is None:
        return None
    path = Path(photo)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read photo {photo}: {exc.strerror}",
            where=where,
            code="submission.photo_unreadable",
            params={"path": photo},
        ) from exc
    try:
        return prepare_photo(data, str(path))
    except ImageError as exc:
        raise ImageError(
            exc.detail, where=f"{where} ({photo})", code=exc.code, params=exc.params
        ) from exc


def _keep_photo(
    kiosk: Kiosk, photo: PreparedPhoto | None, now: datetime, written: list[str]
) -> str | None:
    if photo is None:
        return None
    stored, is_new_file = keep_photo(kiosk.db, kiosk.data_dir, photo, now)
    if is_new_file:
        written.append(stored.sha256)
    return stored.sha256


class _RequestReader:
    """Reads fields of a JSON object, naming the exact path of anything wrong."""

    def __init__(self, raw: Any, source: str, path: str = "", today: date | None = None) -> None:
        self.source = source
        self.today = today
        self.path = path
        if not isinstance(raw, Mapping):
            raise InputError(
                "expected a JSON object", where=self._where(path), code="submission.not_object"
            )
        self.raw = raw

    def _where(self, path: str) -> str:
        return f"{self.source}: {path}" if path else self.source

    def _child_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _path(self, key: str) -> str:
        return self._where(self._child_path(key))

    def refuse_unknown(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.raw) - allowed)
        if unknown:
            raise InputError(
                f"unknown field {unknown[0]} (allowed: {', '.join(sorted(allowed))})",
                where=self._path(unknown[0]),
                code="submission.unknown_field",
                params={"field": unknown[0], "allowed": ", ".join(sorted(allowed))},
            )

    def child(self, key: str, allowed: set[str]) -> _RequestReader:
        value = self.raw.get(key)
        if not isinstance(value, Mapping):
            raise InputError(
                "expected an object",
                where=self._path(key),
                code="submission.expected_object",
                params={"field": key},
            )
        reader = _RequestReader(value, self.source, self._child_path(key), self.today)
        reader.refuse_unknown(allowed)
        return reader

    def text(self, key: str, *, required: bool = True) -> Any:
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise InputError(
                    "this field is required",
                    where=self._path(key),
                    code="submission.required",
                    params={"field": key},
                )
            return None
        if not isinstance(value, str):
            raise InputError(
                "expected text",
                where=self._path(key),
                code="submission.expected_text",
                params={"field": key},
            )
        return value.strip()

    def iso_date(self, key: str) -> str | None:
        """An optional calendar date written YYYY-MM-DD, kept as that text."""
        value = self.text(key, required=False)
        if value is None:
            return None
        try:
            # fromisoformat alone would also take 20090514 and week dates; people write 2009-05-14.
            if not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise InputError(
                "expected a date written YYYY-MM-DD",
                where=self._path(key),
                code="submission.expected_date",
                params={"field": key},
            ) from exc

    def integer(self, key: str) -> int:
        value = self.raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InputError(
                "expected a whole number",
                where=self._path(key),
                code="submission.expected_number",
                params={"field": key},
            )
        try:
            return int(value)
        except ValueError as exc:
            raise InputError(
                "expected a whole number",
                where=self._path(key),
                code="submission.expected_number",
                params={"field": key},
            ) from exc

    def mapping(self, key: str, *, required: bool = True) -> Mapping[str, str | bool]:
        value = self.raw.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping) or not all(
            isinstance(item, str | bool) for item in value.values()
        ):
            raise InputError(
                "expected an object of text or true/false values",
                where=self._path(key),
                code="submission.expected_facts",
                params={"field": key},
            )
        return value

    def documents(self) -> list[tuple[str, str | None]]:
        value = self.raw.get("documents", [])
        if not isinstance(value, list):
            raise InputError(
                "expected a list",
                where=self._path("documents"),
                code="submission.expected_list",
                params={"field": "documents"},
            )
        documents: list[tuple[str, str | None]] = []
        for index, item in enumerate(value):
            entry = _RequestReader(item, self.source, f"{self._child_path('documents')}[{index}]")
            entry.refuse_unknown({"type", "photo"})
            documents.append((entry.text("type"), entry.text("photo", required=False)))
        return documents

    def valid_nik(self, key: str, role: Role) -> str:
        result = parse_nik(self.text(key), default_regions(), role=role, today=self.today)
        if not result.valid:
            self.reject_findings(key, result.errors)
        assert result.number is not None
        return result.number

    def reject_findings(self, key: str, errors: tuple[Finding, ...]) -> None:
        first = errors[0]
        raise InputError(
            first.code, where=self._path(key), code=first.code, params=dict(first.params)
        )
