"""Outbox records exactly as a device makes them: kiosk.store.codec over domain objects.

The server tests build what a kiosk would send, so a change in the record's shape on the device
side shows up here as a failing test, not in the field.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from kiosk.assets import assets_dir
from kiosk.domain.complaints import Complainant, ComplaintCategory, file_complaint
from kiosk.domain.register_numbers import RegisterNumber
from kiosk.domain.requirements import ProgramRules, evaluate, parse_rules
from kiosk.domain.submissions import (
    Applicant,
    Collector,
    Completeness,
    DocumentEvidence,
    Submission,
)
from kiosk.store.codec import complaint_to_record, submission_to_record
from sync.protocol import OutboxRecord
from tests.support.requests import FAMILY_KK, MOTHER_NIK, STUDENT_NIK

CREATED = datetime(2025, 7, 14, 9, 30, tzinfo=UTC)
FACTS = {"level": "sma", "collector": "parent", "recipient": "continuing", "private_school": False}


def _kjp_rules() -> ProgramRules:
    path = assets_dir() / "programs" / "kjp-plus.toml"
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


def new_client_id() -> str:
    return str(uuid.uuid4())


def register_number(device_code: str | None = None) -> RegisterNumber:
    """A register number on `device_code` (random when None) with a random sequence."""
    return RegisterNumber(device_code or "7KQ2ZB", secrets.randbelow(900_000) + 1)


def submission_record(
    device_code: str | None = None,
    *,
    client_id: str | None = None,
    shown: tuple[str, ...] = ("kk",),
    photos: dict[str, bytes] | None = None,
    answers: dict[str, Any] | None = None,
    honest_verdict: bool = True,
    **body_changes: Any,
) -> OutboxRecord:
    """A KJP Plus stage-2 submission; `body_changes` overwrite fields of the record's JSON.

    `shown` are the documents in hand (with `photos` by document), `answers` the facts.
    """
    client_id = client_id or new_client_id()
    chosen_facts = dict(FACTS if answers is None else answers)
    photos = photos or {}
    evidence = tuple(
        DocumentEvidence(doc, hashlib.sha256(photos[doc]).hexdigest() if doc in photos else None)
        for doc in shown
    )
    checklist = evaluate(_kjp_rules(), 2, chosen_facts, set(shown))
    complete = checklist.is_complete if honest_verdict else not checklist.is_complete
    submission = Submission(
        client_id=client_id,
        register_number=register_number(device_code),
        program="kjp-plus",
        stage=2,
        applicant=Applicant(nik=STUDENT_NIK, name="Siti Rahmawati", kk=FAMILY_KK),
        collector=Collector(nik=MOTHER_NIK, name="Hj. Aminah", relation="parent"),
        facts=chosen_facts,
        documents=evidence,
        completeness=Completeness.COMPLETE if complete else Completeness.INCOMPLETE,
        missing_documents=tuple(item.document for item in checklist.missing)
        if honest_verdict
        else (),
        created_at=CREATED,
    ).queued()
    body = submission_to_record(submission)
    body.update(body_changes)
    shas = tuple(e.photo_sha256 for e in evidence if e.photo_sha256)
    return OutboxRecord(client_id=client_id, kind="submission", body=body, attachments=shas)


def complaint_record(device_code: str | None = None, **body_changes: Any) -> OutboxRecord:
    client_id = new_client_id()
    complaint = file_complaint(
        client_id=client_id,
        register_number=register_number(device_code),
        category=ComplaintCategory.LATE_DISBURSEMENT,
        description="Dana tahap 2 belum masuk.",
        complainant=Complainant(name="Hj. Aminah", nik=MOTHER_NIK, phone="081234567890"),
        filed_at=CREATED,
        program="kjp-plus",
    )
    body = complaint_to_record(complaint)
    body.update(body_changes)
    return OutboxRecord(client_id=client_id, kind="complaint", body=body)


def push_body(*records: OutboxRecord) -> dict[str, Any]:
    return {"protocol": 1, "records": [record.model_dump(mode="json") for record in records]}
