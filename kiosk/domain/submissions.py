"""A submission: one person's documents for one program stage, recorded offline, decided centrally.

Its `state` is where it is in its life (the device moves it to queued and synced; the server
decides verified, rejected or disbursed). Its `completeness` is the device's own reading of the
checklist at the counter; the server re-checks and its verdict wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from kiosk.domain.register_numbers import RegisterNumber


class SubmissionState(StrEnum):
    DRAFT = "draft"  # being filled in at the counter
    QUEUED = "queued"  # saved on the device, waiting in the outbox
    SYNCED = "synced"  # the central server has it
    VERIFIED = "verified"  # staff checked documents and data
    REJECTED = "rejected"  # not accepted; the reason says what to do
    DISBURSED = "disbursed"  # the money has been paid


class Completeness(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


_NEXT: dict[SubmissionState, frozenset[SubmissionState]] = {
    SubmissionState.DRAFT: frozenset({SubmissionState.QUEUED}),
    # A record the server refuses outright (quarantined) goes straight to rejected.
    SubmissionState.QUEUED: frozenset({SubmissionState.SYNCED, SubmissionState.REJECTED}),
    SubmissionState.SYNCED: frozenset({SubmissionState.VERIFIED, SubmissionState.REJECTED}),
    SubmissionState.VERIFIED: frozenset({SubmissionState.DISBURSED, SubmissionState.REJECTED}),
    # A rejected submission may be reviewed again once the missing documents arrive.
    SubmissionState.REJECTED: frozenset({SubmissionState.SYNCED}),
    SubmissionState.DISBURSED: frozenset(),
}


def can_move(current: SubmissionState, target: SubmissionState) -> bool:
    return target in _NEXT[current]


@dataclass(frozen=True)
class Applicant:
    """The person the submission is for (for KJP Plus the student, for PKH the recipient)."""

    nik: str
    name: str
    kk: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True)
class Collector:
    """Who comes to the counter or collects the money, when it is not the applicant."""

    nik: str
    name: str
    relation: str


@dataclass(frozen=True)
class BankAccount:
    bank: str
    account: str


@dataclass(frozen=True)
class DocumentEvidence:
    """A document the person showed, with the SHA-256 of its stored photo when one was taken."""

    document: str
    photo_sha256: str | None = None


@dataclass(frozen=True)
class Submission:
    client_id: str
    register_number: RegisterNumber
    program: str
    stage: int
    applicant: Applicant
    facts: Mapping[str, str | bool]
    documents: tuple[DocumentEvidence, ...]
    completeness: Completeness
    missing_documents: tuple[str, ...]
    created_at: datetime
    collector: Collector | None = None
    bank_account: BankAccount | None = None
    state: SubmissionState = SubmissionState.DRAFT
    notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def documents_held(self) -> frozenset[str]:
        return frozenset(evidence.document for evidence in self.documents)

    def moved_to(self, target: SubmissionState) -> Submission:
        """The same submission in `target` state; ValueError if the lifecycle forbids it."""
        if not can_move(self.state, target):
            raise ValueError(f"submission cannot go from {self.state} to {target}")
        return replace(self, state=target)

    def queued(self) -> Submission:
        return self.moved_to(SubmissionState.QUEUED)
