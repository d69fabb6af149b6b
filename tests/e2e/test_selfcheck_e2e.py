"""The self-check kiosk in real Chromium: by register number, by NIK, by receipt photo, a complaint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiosk.i18n import text
from kiosk.services.receipts import write_receipt
from kiosk.services.submissions import record_submission
from kiosk.services.survey import survey_summary
from tests.e2e.actions import press, see, type_into
from tests.support.requests import STUDENT_NIK, kjp_request

pytestmark = pytest.mark.slow


def test_self_check_by_register_number_shows_status_gaps_and_masked_nik(screens, app_kiosk):
    number = str(record_submission(app_kiosk, kjp_request()).submission.register_number)
    page = screens.open("/selfcheck")
    see(page, text("selfcheck.welcome"))
    screens.shot(page, "selfcheck-start")

    press(page, text("selfcheck.by_number"))
    box = type_into(page, text("selfcheck.register_number"), "7KQ2ZB-00")
    press(page, text("selfcheck.check"))
    see(page, text("register_number.shape"))
    expect(box).to_have_value("7KQ2ZB-00")  # the typed text stays for correcting
    screens.shot(page, "selfcheck-number-invalid")

    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(number)
    page.keyboard.press("Enter")  # keyboard only: Enter submits the question
    see(page, text("status.submission.queued"))
    see(page, text("selfcheck.missing_title"))
    see(page, text("next.bring_missing"))
    masked = STUDENT_NIK[:4] + "********" + STUDENT_NIK[-4:]
    see(page, text("selfcheck.nik_line", nik=masked))
    expect(page.get_by_text(STUDENT_NIK)).to_have_count(0)
    screens.shot(page, "selfcheck-status")

    press(page, text("selfcheck.language_en"))
    see(page, text("status.submission.queued", "en"))
    screens.shot(page, "selfcheck-status-en")
    page.close()


def test_self_check_by_nik_and_birth_date(screens, app_kiosk):
    record_submission(app_kiosk, kjp_request())
    page = screens.open("/selfcheck?lang=en")
    press(page, text("selfcheck.by_nik", "en"))
    type_into(page, text("selfcheck.nik", "en"), "3174011405090000")
    press(page, text("selfcheck.next", "en"))
    type_into(page, text("selfcheck.birth_date", "en"), "14-05-2009")
    press(page, text("selfcheck.check", "en"))
    # Serial 0000 is refused: back on the NIK question, the typed NIK kept.
    expect(page.get_by_role("textbox", name=text("selfcheck.nik", "en"))).to_have_value(
        "3174011405090000"
    )
    screens.shot(page, "selfcheck-nik-invalid")

    box = page.get_by_role("textbox", name=text("selfcheck.nik", "en"))
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(STUDENT_NIK)
    press(page, text("selfcheck.next", "en"))
    type_into(page, text("selfcheck.birth_date", "en"), "14-05-2009")
    press(page, text("selfcheck.check", "en"))
    see(page, text("status.submission.queued", "en"))
    see(page, "3174********0003")
    screens.shot(page, "selfcheck-nik-status")
    page.close()


def test_receipt_photo_upload_opens_the_status_and_a_bad_photo_says_why(
    screens, app_kiosk, tmp_path
):
    number = str(record_submission(app_kiosk, kjp_request()).submission.register_number)
    photo = write_receipt(app_kiosk, number, tmp_path / "receipt.png").path
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    page = screens.open("/selfcheck")
    press(page, text("selfcheck.by_scan"))
    screens.shot(page, "selfcheck-scan")

    with page.expect_file_chooser() as chooser:
        press(page, text("selfcheck.choose_photo"))
    chooser.value.set_files(str(junk))
    see(page, text("scan.image.unreadable"))
    screens.shot(page, "selfcheck-scan-unreadable")

    with page.expect_file_chooser() as chooser:
        press(page, text("selfcheck.choose_photo"))
    chooser.value.set_files(str(photo))
    see(page, text("selfcheck.number_line", number=number))
    see(page, text("status.submission.queued"))
    screens.shot(page, "selfcheck-scan-status")
    page.close()


def test_filing_a_complaint_ends_with_number_receipt_due_date_and_survey(screens, app_kiosk):
    page = screens.open("/selfcheck")
    press(page, text("selfcheck.file_complaint"))
    see(page, text("selfcheck.complaint.category_question"))
    screens.shot(page, "complaint-category")
    press(page, text("category.late_disbursement"))

    press(page, text("selfcheck.next"))  # empty description: refused, stays on the question
    see(page, text("complaint.description_empty"))
    screens.shot(page, "complaint-description-empty")
    type_into(page, text("selfcheck.complaint.description"), "Dana tahap 2 belum masuk")
    press(page, text("selfcheck.next"))
    type_into(page, text("selfcheck.complaint.name"), "Hj. Aminah")
    press(page, text("selfcheck.next"))
    screens.shot(page, "complaint-nik")
    press(page, text("selfcheck.skip"))

    number_line = page.get_by_text(re.compile(r"Nomor registrasi pengaduan: \S+"))
    expect(number_line).to_be_visible()
    number = number_line.inner_text().rsplit(" ", 1)[-1]
    assert (app_kiosk.data_dir / "receipts" / f"{number}.png").stat().st_size > 0
    expect(
        page.get_by_role("img", name=text("selfcheck.complaint.receipt", number=number))
    ).to_be_visible()
    see(page, "Jawaban paling lambat:")
    screens.shot(page, "complaint-saved")

    before = survey_summary(app_kiosk)[4]
    press(page, text("selfcheck.done"))
    see(page, text("selfcheck.survey.question"))
    screens.shot(page, "survey")
    press(page, f"4 · {text('selfcheck.survey.score_4')}")
    see(page, text("selfcheck.survey.thanks"))
    screens.shot(page, "survey-thanks")
    assert survey_summary(app_kiosk)[4] == before + 1
    page.close()


def test_a_record_saved_offline_shows_the_state_the_server_sent_back(screens, app_kiosk, tmp_path):
    from datetime import timedelta

    from kiosk.services.sync import enroll_device, sync_now
    from sync.server import devices
    from sync.server.staff.operators import set_state
    from sync.server.storage import utc_now
    from tests.support.server import running_server

    number = str(record_submission(app_kiosk, kjp_request()).submission.register_number)
    page = screens.open("/selfcheck")
    press(page, text("selfcheck.by_number"))
    type_into(page, text("selfcheck.register_number"), number)
    press(page, text("selfcheck.check"))
    see(page, text("status.submission.queued"))  # offline: saved, waiting to be sent
    screens.shot(page, "sync-before")

    with running_server(None, tmp_path / "server") as server:
        ticket = devices.add_device(
            server.state.database, "kiosk-e2e", "31.74", now=utc_now(), ttl=timedelta(hours=1)
        )
        enroll_device(app_kiosk, server.url, ticket.display, force=True)
        sync_now(app_kiosk)
        set_state(
            server.state.database,
            number,
            "verified",
            operator="e2e",
            note="Dokumen lengkap",
            now=utc_now(),
        )
        sync_now(app_kiosk)

    press(page, text("selfcheck.another"))
    press(page, text("selfcheck.by_number"))
    type_into(page, text("selfcheck.register_number"), number)
    press(page, text("selfcheck.check"))
    see(page, text("status.submission.verified"))
    see(page, text("selfcheck.note_line", note="Dokumen lengkap"))
    see(page, text("next.submission.verified"))
    screens.shot(page, "sync-after-verified")
    page.close()
