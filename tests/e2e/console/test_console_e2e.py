"""The staff console in real Chromium: each role's workflow, conflicts, monitoring and CSV export.

Every status change made here is checked on the kiosk that filed the record, after its next sync.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kiosk.i18n import text
from tests.e2e.console.conftest import ACCOUNT, ROSTER_ACCOUNT, Console, type_into
from tests.support.requests import MOTHER_NIK, STUDENT_NIK

pytestmark = pytest.mark.slow


def press(page: Any, label: str) -> None:
    """Leave the field being typed in (Tab), then click the button.

    A click straight from a focused text field was sometimes dropped on a loaded machine.
    """
    if page.evaluate("() => document.activeElement?.tagName") in ("INPUT", "TEXTAREA"):
        page.keyboard.press("Tab")
    page.get_by_role("button", name=label, exact=True).click()


def see(page: Any, sentence: str) -> None:
    expect(page.get_by_text(sentence, exact=False).first).to_be_visible()


def masked(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def open_complaint(page: Any, number: str) -> None:
    press(page, text("console.open", number=number))
    see(page, text("console.case.heading", number=number))


def test_a_wrong_password_is_told_without_a_count_and_five_lock_the_name(console: Console):
    page = console.open()
    name, password = console.world.staff["technical"]
    see(page, text("console.signin.heading"))
    console.shot(page, "signin")
    type_into(page, text("console.signin.name"), name)
    for attempt in range(1, 6):
        type_into(page, text("console.signin.password"), "bukan-sandinya")
        page.keyboard.press("Enter")  # keyboard only
        if attempt < 5:
            see(page, text("console.signin.wrong"))
    see(page, text("console.signin.locked", minutes=15))
    # Locked: even the right password is refused until the lock runs out.
    type_into(page, text("console.signin.password"), password)
    page.keyboard.press("Enter")
    see(page, text("console.signin.locked", minutes=15))
    console.shot(page, "signin-locked")


def test_a_supervisors_wrong_code_reads_like_a_wrong_password(console: Console):
    page = console.open()
    name, password = console.world.staff["supervisor"]
    right = console.world.authenticator.code(name)
    type_into(page, text("console.signin.name"), name)
    type_into(page, text("console.signin.password"), password)
    type_into(page, text("console.signin.code"), f"{(int(right) + 1) % 10**6:06d}")
    page.keyboard.press("Enter")
    see(page, text("console.signin.wrong"))
    console.shot(page, "signin-code")


def test_officer_classifies_and_resolves_a_complaint_and_the_kiosk_hears_it(console: Console):
    world = console.world
    number = world.complaints[0]
    page = console.sign_in("officer")
    see(page, text("console.queue.heading"))
    expect(page.get_by_role("button", name=text("console.open", number=number))).to_be_visible()
    expect(page.get_by_role("button", name=text("console.queue.download"))).to_have_count(0)
    console.shot(page, "queue")

    open_complaint(page, number)
    # The complainant's numbers are masked for an officer, in the fields and in the free text.
    see(page, text("console.case.nik", nik=masked(MOTHER_NIK)))
    see(page, "******" + ACCOUNT[-4:])
    expect(page.get_by_text(MOTHER_NIK)).to_have_count(0)
    expect(page.get_by_text(ACCOUNT)).to_have_count(0)

    page.get_by_role("radio", name=text("category.late_disbursement")).click()
    page.get_by_role("radio", name=text("console.severity.high")).click()
    press(page, text("console.case.do.classify"))
    see(page, text("console.case.done", action=text("console.action.classify")))
    see(page, text("console.case.state", state=text("console.state.in_progress")))

    answer = "Dana sudah ditransfer ulang pada 5 Agustus; silakan cek rekening."
    type_into(page, text("console.case.resolve_message"), answer)
    press(page, text("console.case.do.resolve"))
    see(page, text("console.case.done", action=text("console.action.resolve")))
    see(page, text("console.case.state", state=text("console.state.resolved")))
    see(page, "Staf")  # the history names who acted
    console.shot(page, "complaint")

    # The kiosk that filed it hears the answer on its next sync.
    world.kiosk("sync", "--once")
    status = world.kiosk("status", number)
    assert text("status.complaint.resolved", "en") in status
    assert answer in status


def test_an_edit_on_a_case_someone_else_changed_is_refused_and_keeps_the_typed_text(
    console: Console,
):
    number = console.world.complaints[1]
    first = console.sign_in("supervisor")
    open_complaint(first, number)
    typed = "Pengadu sudah ditelepon; menunggu bukti transfer dari bank."
    box = type_into(first, text("console.case.note_text"), typed)

    # A colleague changes the same case in another tab meanwhile.
    second = console.sign_in("officer")
    open_complaint(second, number)
    type_into(second, text("console.case.note_text"), "Catatan rekan.")
    press(second, text("console.case.do.note"))
    see(second, text("console.case.done", action=text("console.action.note")))

    first.bring_to_front()
    press(first, text("console.case.do.note"))
    see(
        first,
        re.sub(
            r"\(.*",
            "",
            text("staff.error.stale_edit", register_number=number, expected=1, current=2),
        ),
    )
    expect(box).to_have_value(typed)  # nothing typed is lost
    console.shot(first, "conflict")

    press(first, text("console.reload"))
    see(first, text("console.case.reloaded"))
    see(first, "Catatan rekan.")
    box = first.get_by_role("textbox", name=text("console.case.note_text"))
    box.click()  # a redrawn field shows its text to the accessibility tree once focused
    expect(box).to_have_value(typed)
    press(first, text("console.case.do.note"))
    see(first, text("console.case.done", action=text("console.action.note")))
    see(first, typed)


def test_a_resolved_case_offers_only_what_its_state_allows(console: Console):
    number = console.world.complaints[2]
    page = console.sign_in("supervisor")
    open_complaint(page, number)
    type_into(page, text("console.case.resolve_message"), "Sudah dijawab lewat telepon.")
    press(page, text("console.case.do.resolve"))
    see(page, text("console.case.state", state=text("console.state.resolved")))
    # Resolving again is not offered (tests/console checks the refusal in words); reopening is.
    expect(page.get_by_role("button", name=text("console.case.do.resolve"))).to_have_count(0)
    type_into(page, text("console.case.reopen_reason"), "Pengadu menelepon: dana belum masuk.")
    press(page, text("console.case.do.reopen"))
    see(page, text("console.case.state", state=text("console.state.reopened")))
    expect(page.get_by_role("button", name=text("console.case.do.resolve"))).to_be_visible()


def test_verifier_sees_photos_and_mismatches_and_approves_a_submission(console: Console):
    world = console.world
    page = console.sign_in("verifier")
    press(page, text("console.nav.review"))
    see(page, text("console.review.heading"))
    console.shot(page, "review-queue")
    press(page, text("console.open", number=world.submission))
    see(page, text("console.review.case_heading", number=world.submission))
    # The photo of the KTP beside its checklist line, and the roster check in words.
    expect(
        page.get_by_role(
            "img", name=re.compile(re.escape(text("console.review.photo_of", document="")))
        ).first
    ).to_be_visible()
    # Every difference from the roster, with whole values: a verifier's role needs them.
    values = text("console.review.values", submitted=ACCOUNT, registered=ROSTER_ACCOUNT)
    see(page, f"{text('staff.mismatch.account_differs')} {values}")
    see(page, text("staff.mismatch.name_review"))  # a spelling to look at, not a verdict
    see(page, "Sitti Rahmawati Putri")
    see(page, STUDENT_NIK)
    console.shot(page, "submission")

    type_into(page, text("console.review.approve_note"), "Dokumen lengkap dan sesuai.")
    press(page, text("console.review.do.approve"))
    see(page, text("console.case.done", action=text("console.action.approve")))
    see(page, text("console.state.verified"))

    world.kiosk("sync", "--once")
    status = world.kiosk("status", world.submission)
    assert text("status.submission.verified", "en") in status


def test_a_verifier_has_no_supervisor_screens_or_actions(console: Console):
    world = console.world
    page = console.sign_in("verifier")
    for screen in ("console.nav.monitoring", "console.nav.users"):
        expect(page.get_by_role("button", name=text(screen))).to_have_count(0)
    open_complaint(page, world.complaints[1])
    # Assigning and reopening are a supervisor's; a verifier may classify and add notes.
    expect(page.get_by_role("button", name=text("console.case.do.note"))).to_be_visible()
    expect(page.get_by_role("button", name=text("console.case.do.assign"))).to_have_count(0)
    supervisor = console.sign_in("supervisor")
    open_complaint(supervisor, world.complaints[1])
    expect(supervisor.get_by_role("button", name=text("console.case.do.assign"))).to_be_visible()


def test_monitoring_draws_charts_names_a_bad_filter_and_exports_csv(console: Console):
    page = console.sign_in("supervisor")
    press(page, text("console.nav.monitoring"))
    see(page, text("console.monitoring.heading"))
    title = text("staff.monitoring.submissions_by_region")
    measure = text("console.column.submissions")
    see(page, text("console.monitoring.chart_caption", title=title, measure=measure))
    expect(page.get_by_text("Unknown control")).to_have_count(0)  # the chart's client is there
    console.shot(page, "monitoring")

    box = type_into(page, text("console.monitoring.date_from"), "2026-13-01")
    page.keyboard.press("Enter")
    see(page, "date_from")
    expect(box).to_have_value("2026-13-01")  # kept for correcting
    console.shot(page, "monitoring-bad-filter")

    with page.expect_download() as download_info:
        press(page, text("console.monitoring.download", title=title))
    download = download_info.value
    assert re.fullmatch(
        r"lengkap-submissions_by_region-\d{8}-\d{4}\.csv", download.suggested_filename
    )
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["region", "program", "stage", "submissions", "complete", "complete_pct"]
    assert rows[1][:3] == ["31", "kjp-plus", "2"]
    assert int(rows[1][3]) >= 1


def test_admin_adds_a_user_who_can_then_sign_in(console: Console):
    page = console.sign_in("admin")
    press(page, text("console.nav.users"))
    see(page, text("console.users.heading"))
    type_into(page, text("console.users.name"), "Tono Teknis")
    page.get_by_role("radio", name=text("console.role.technical")).click()
    type_into(page, text("console.users.password"), "sandi-teknis-2026")
    type_into(page, text("console.users.password_again"), "sandi-teknis-2026")
    press(page, text("console.users.add"))
    see(page, text("console.users.added", name="Tono Teknis"))
    see(page, "Tono Teknis · " + text("console.role.technical"))
    console.shot(page, "users")
    signed = console.sign_in_as("Tono Teknis", "sandi-teknis-2026", "technical")
    expect(signed.get_by_role("button", name=text("console.nav.complaints"))).to_be_visible()


def test_a_supervisor_downloads_the_complaints_queue_as_csv(console: Console):
    page = console.sign_in("supervisor")
    see(page, text("console.queue.heading"))
    with page.expect_download() as download_info:
        press(page, text("console.queue.download"))
    download = download_info.value
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["register_number", "due_at", "overdue"]
    listed = {row[0] for row in rows[1:]}
    assert listed and listed <= set(console.world.complaints)
