"""The whole loop with a real kiosk: a complaint filed offline reaches the console, staff answer it,
and the complainant reads the answer on the kiosk after its next sync."""

from __future__ import annotations

from datetime import timedelta

from kiosk.services.complaints import file_new_complaint
from kiosk.services.status import status_of
from kiosk.services.submissions import record_submission
from kiosk.services.sync import enroll_device, sync_now
from kiosk.views.selfcheck import report_lines
from sync.server import devices
from sync.server.staff import cases, review
from sync.server.staff.cases import QueueFilters
from sync.server.staff.roles import Role
from sync.server.storage import utc_now
from tests.staff.helpers import student_nik
from tests.support.requests import FAMILY_KK, kjp_request


def test_a_complaint_filed_offline_is_answered_in_the_console_and_the_kiosk_shows_it(
    live_server, db, staff, kiosk, area
):
    ticket = devices.add_device(db, f"loket-{area}", area, now=utc_now(), ttl=timedelta(hours=1))
    enroll_device(kiosk, live_server.url, ticket.display)
    complaint = file_new_complaint(
        kiosk,
        category="late_disbursement",
        description="Dana tahap 2 belum masuk sejak Juli.",
        name="Hj. Aminah",
    )
    number = str(complaint.register_number)
    assert sync_now(kiosk).is_complete
    [row] = cases.complaint_queue(db, now=utc_now(), filters=QueueFilters(area_prefix=area))
    assert row.register_number == number
    officer = staff(Role.OFFICER)
    version = cases.classify(
        db,
        officer,
        number,
        version=row.version,
        now=utc_now(),
        category="late_disbursement",
        severity="high",
    )
    sync_now(kiosk)
    assert status_of(kiosk, number).state == "in_progress"
    message = "Dana sudah ditransfer pada 3 Juli; cek buku tabungan Anda."
    cases.resolve(db, officer, number, version=version, now=utc_now(), message=message)
    sync_now(kiosk)
    seen = status_of(kiosk, number)
    assert (seen.state, seen.status_note) == ("resolved", message)


def test_documents_requested_in_the_console_reach_the_kiosk_in_both_languages(
    live_server, db, staff, kiosk, area
):
    ticket = devices.add_device(db, f"loket-{area}", area, now=utc_now(), ttl=timedelta(hours=1))
    enroll_device(kiosk, live_server.url, ticket.display)
    applicant = {"nik": student_nik(), "name": "Siti Rahmawati", "kk": FAMILY_KK}
    outcome = record_submission(kiosk, kjp_request(applicant=applicant))
    number = str(outcome.submission.register_number)
    assert sync_now(kiosk).is_complete
    detail = review.submission_detail(db, number)
    review.request_documents(
        db,
        staff(Role.VERIFIER),
        number,
        version=detail.version,
        now=utc_now(),
        documents=["sptjm"],
    )
    sync_now(kiosk)
    seen = status_of(kiosk, number)
    english = "Please bring these documents: SPTJM (statement of absolute responsibility)."
    indonesian = "Mohon lengkapi dokumen berikut: SPTJM (Surat Pernyataan Tanggung Jawab Mutlak)."
    assert (seen.note_in("en"), seen.note_in("id")) == (english, indonesian)
    assert any(english in line for line in report_lines(seen, "en"))
    assert any(indonesian in line for line in report_lines(seen, "id"))
