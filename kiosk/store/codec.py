"""Submissions and complaints to and from JSON: the shape stored on the device and sent to the server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiosk.domain.complaints import (
    Complainant,
    Complaint,
    ComplaintCategory,
    ComplaintState,
    Deadlines,
)
from kiosk.domain.register_numbers import parse_register_number
from kiosk.domain.submissions import (
    Applicant,
    BankAccount,
    Collector,
    Completeness,
    DocumentEvidence,
    Submission,
    SubmissionState,
)

SCHEMA = (
    1  # bump when the record's shape changes; the server reads it to parse old devices' records
)


def submission_to_record(submission: Submission) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": "submission",
        "client_id": submission.client_id,
        "register_number": str(submission.register_number),
        "program": submission.program,
        "stage": submission.stage,
        "applicant": _drop_none(vars(submission.applicant)),
        "collector": _drop_none(vars(submission.collector)) if submission.collector else None,
        "bank_account": vars(submission.bank_account) if submission.bank_account else None,
        "facts": dict(submission.facts),
        "documents": [_drop_none(vars(evidence)) for evidence in submission.documents],
        "device_verdict": {
            "completeness": submission.completeness.value,
            "missing_documents": list(submission.missing_documents),
        },
        "created_at": submission.created_at.isoformat(),
    }


def submission_from_record(record: dict[str, Any], state: str) -> Submission:
    verdict = record["device_verdict"]
    return Submission(
        client_id=record["client_id"],
        register_number=parse_register_number(record["register_number"]),
        program=record["program"],
        stage=int(record["stage"]),
        applicant=Applicant(**record["applicant"]),
        collector=Collector(**record["collector"]) if record.get("collector") else None,
        bank_account=BankAccount(**record["bank_account"]) if record.get("bank_account") else None,
        facts=record["facts"],
        documents=tuple(DocumentEvidence(**item) for item in record["documents"]),
        completeness=Completeness(verdict["completeness"]),
        missing_documents=tuple(verdict["missing_documents"]),
        created_at=datetime.fromisoformat(record["created_at"]),
        state=SubmissionState(state),
    )


def complaint_to_record(complaint: Complaint) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": "complaint",
        "client_id": complaint.client_id,
        "register_number": str(complaint.register_number),
        "category": complaint.category.value,
        "description": complaint.description,
        "complainant": _drop_none(vars(complaint.complainant)),
        "program": complaint.program,
        "related_register_number": complaint.related_register_number,
        "filed_at": complaint.filed_at.isoformat(),
        "first_response_due": complaint.deadlines.first_response.isoformat(),
        "resolution_due": complaint.deadlines.resolution.isoformat(),
    }


def complaint_from_record(record: dict[str, Any], state: str) -> Complaint:
    return Complaint(
        client_id=record["client_id"],
        register_number=parse_register_number(record["register_number"]),
        category=ComplaintCategory(record["category"]),
        description=record["description"],
        complainant=Complainant(**record["complainant"]),
        filed_at=datetime.fromisoformat(record["filed_at"]),
        deadlines=Deadlines(
            first_response=datetime.fromisoformat(record["first_response_due"]),
            resolution=datetime.fromisoformat(record["resolution_due"]),
        ),
        program=record.get("program"),
        related_register_number=record.get("related_register_number"),
        state=ComplaintState(state),
    )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
