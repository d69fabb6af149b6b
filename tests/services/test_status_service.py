"""Status in plain words: what is missing while it is open, nothing once it is verified, and the
staff's note in the reader's language."""

from datetime import UTC, datetime

from kiosk.services.counter import submission_lines
from kiosk.services.status import status_of
from kiosk.services.submissions import record_submission
from kiosk.store.sync_device import StoreChanges
from kiosk.views.selfcheck import report_lines
from sync.protocol import Change, ChangeKind, PullResponse
from sync.pull import apply_page
from tests.support.requests import kjp_request


def test_missing_documents_are_listed_until_staff_verify_the_submission(kiosk):
    number = str(record_submission(kiosk, kjp_request()).submission.register_number)
    open_report = status_of(kiosk, number)
    assert open_report.missing_documents
    assert open_report.next_step_code == "next.bring_missing"

    kiosk.db.execute(
        "UPDATE submissions SET state = 'verified' WHERE register_number = ?", [number]
    )
    verified = status_of(kiosk, number)
    assert verified.missing_documents == ()
    assert verified.next_step_code == "next.submission.verified"


def _status_page(submission, **note):
    return PullResponse(
        changes=(
            Change(
                kind=ChangeKind.STATUS,
                changed_at=datetime(2026, 7, 3, 9, 0, tzinfo=UTC),
                data={
                    "record_kind": "submission",
                    "client_id": submission.client_id,
                    "register_number": str(submission.register_number),
                    "state": "synced",
                    **note,
                },
            ),
        ),
        next_cursor="1",
        has_more=False,
    )


def test_the_staff_note_is_shown_in_english_when_the_server_sent_english(kiosk):
    submission = record_submission(kiosk, kjp_request()).submission
    number = str(submission.register_number)
    page = _status_page(
        submission,
        note="Mohon lengkapi dokumen berikut: SPTJM.",
        note_en="Please bring these documents: SPTJM.",
    )
    assert apply_page(StoreChanges(kiosk.db, kiosk.data_dir), page) == 1
    report = status_of(kiosk, number)
    assert report.note_in("id") == "Mohon lengkapi dokumen berikut: SPTJM."
    assert report.note_in("en") == "Please bring these documents: SPTJM."
    assert any(
        "Please bring these documents: SPTJM." in line for line in report_lines(report, "en")
    )
    assert not any("Please bring" in line for line in report_lines(report, "id"))
    [line] = [line for line in submission_lines(kiosk) if line.register_number == number]
    assert (line.note_in("id"), line.note_in("en")) == (report.status_note, report.status_note_en)


def test_a_note_without_english_is_shown_as_sent_in_both_languages(kiosk):
    submission = record_submission(kiosk, kjp_request()).submission
    number = str(submission.register_number)
    # First an English note, then one from an older server (or typed by staff): no stale English.
    apply_page(
        StoreChanges(kiosk.db, kiosk.data_dir), _status_page(submission, note="Satu", note_en="One")
    )
    apply_page(
        StoreChanges(kiosk.db, kiosk.data_dir), _status_page(submission, note="Dokumen lengkap.")
    )
    report = status_of(kiosk, number)
    assert report.status_note_en is None
    assert report.note_in("id") == report.note_in("en") == "Dokumen lengkap."
