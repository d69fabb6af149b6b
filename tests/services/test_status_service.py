"""Status in plain words: what is missing while it is open, nothing once it is verified."""

from kiosk.services.status import status_of
from kiosk.services.submissions import record_submission
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
