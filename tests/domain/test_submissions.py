"""The submission's lifecycle: the device queues and syncs; the server decides the rest."""

from datetime import UTC, datetime

import pytest

from kiosk.domain.register_numbers import RegisterNumber
from kiosk.domain.submissions import (
    Applicant,
    Completeness,
    DocumentEvidence,
    Submission,
    SubmissionState,
    can_move,
)


def _submission():
    return Submission(
        client_id="s-1",
        register_number=RegisterNumber("ABCDEF", 7),
        program="kjp-plus",
        stage=2,
        applicant=Applicant(nik="3174011405090003", name="Siti"),
        facts={"level": "sd"},
        documents=(DocumentEvidence("kk", "ab" * 32), DocumentEvidence("ktp_wali")),
        completeness=Completeness.INCOMPLETE,
        missing_documents=("sptjm",),
        created_at=datetime(2026, 7, 1, tzinfo=UTC),
    )


def test_a_new_submission_is_a_draft_until_queued():
    submission = _submission()
    assert submission.state is SubmissionState.DRAFT
    assert submission.queued().state is SubmissionState.QUEUED


def test_the_documents_held_are_the_ones_shown():
    assert _submission().documents_held == {"kk", "ktp_wali"}


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (SubmissionState.QUEUED, SubmissionState.SYNCED, True),
        (SubmissionState.QUEUED, SubmissionState.VERIFIED, False),
        (SubmissionState.SYNCED, SubmissionState.VERIFIED, True),
        (SubmissionState.VERIFIED, SubmissionState.DISBURSED, True),
        (SubmissionState.SYNCED, SubmissionState.DISBURSED, False),
        (SubmissionState.DISBURSED, SubmissionState.REJECTED, False),
        (SubmissionState.REJECTED, SubmissionState.SYNCED, True),
    ],
)
def test_only_the_lifecycle_s_transitions_are_allowed(start, target, allowed):
    assert can_move(start, target) is allowed


def test_a_forbidden_transition_raises():
    with pytest.raises(ValueError):
        _submission().moved_to(SubmissionState.VERIFIED)
