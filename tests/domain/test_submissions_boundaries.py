"""Submissions: what a refused move says (a case found by mutation testing)."""

from datetime import UTC, datetime

import pytest

from kiosk.domain.register_numbers import RegisterNumber
from kiosk.domain.submissions import Applicant, Completeness, Submission, SubmissionState


def test_a_refused_move_names_both_states():
    draft = Submission(
        client_id="s-1",
        register_number=RegisterNumber("ABCDEF", 7),
        program="kjp-plus",
        stage=1,
        applicant=Applicant(nik="3174011405090003", name="Siti"),
        facts={},
        documents=(),
        completeness=Completeness.COMPLETE,
        missing_documents=(),
        created_at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    with pytest.raises(ValueError, match="from draft to verified"):
        draft.moved_to(SubmissionState.VERIFIED)
