"""The officer's app in real Chromium: sign in, verify a person from NIK to receipt, the list.

The officer and the roster were made with the real `kiosk officer add` and `kiosk roster import`
(tests/e2e/conftest.py). Every screen is kept as a screenshot in artifacts/screens/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kiosk.bootstrap import open_kiosk
from kiosk.i18n import text
from kiosk.services.counter import submission_lines
from tests.e2e.actions import choose, press, see, tab_to, type_into, value_of
from tests.e2e.conftest import OFFICER
from tests.support.images import document_photo
from tests.support.requests import STUDENT_NIK

pytestmark = pytest.mark.slow

MASKED_NIK = STUDENT_NIK[:4] + "********" + STUDENT_NIK[-4:]
KJP = "KJP Plus (Kartu Jakarta Pintar Plus)"
STAGE_2 = "Tahap II (Juli sampai Desember)"
LEVEL = "Anak bersekolah di jenjang apa?"
RECIPIENT = "Apakah anak baru pertama kali menerima KJP Plus?"
COLLECTOR = "Siapa yang mengurus dan mengambil kartu atau rekening KJP Plus?"
KK_COPY = "Fotokopi Kartu Keluarga (KK)"
KTP_COPY = "Fotokopi KTP orang tua/wali"


def sign_in(page: Any) -> None:
    type_into(page, text("officer.login.name"), OFFICER[0])
    type_into(page, text("officer.login.pin"), OFFICER[1])
    page.keyboard.press("Enter")  # keyboard only: Enter in the PIN field signs in
    expect(page.get_by_role("textbox", name=text("verify.nik"), exact=True)).to_be_visible()


def test_an_officer_verifies_a_person_from_nik_to_receipt(officer_screens, tmp_path):
    page = officer_screens.open("/")
    see(page, text("officer.login.heading"))
    type_into(page, text("officer.login.name"), OFFICER[0])
    type_into(page, text("officer.login.pin"), "9999")
    press(page, text("officer.login.submit"))
    see(page, text("officer.login.wrong"))
    expect(page.get_by_role("textbox", name=text("officer.login.pin"))).to_have_value("")
    officer_screens.shot(page, "officer-sign-in-wrong-pin")
    type_into(page, text("officer.login.pin"), OFFICER[1])
    press(page, text("officer.login.submit"))

    # Live validation: digits are counted while typing, a wrong NIK says why, a right one explains.
    nik = type_into(page, text("verify.nik"), "3174")
    see(page, text("verify.nik_partial", count=4))
    officer_screens.shot(page, "officer-verify-typing")
    page.keyboard.type("013205090003")
    expect(nik).to_have_value("3174013205090003")
    # The reason is read out with the field (its accessible description), not only shown.
    expect(nik).to_have_accessible_description(re.compile(r"\(32\)"))
    officer_screens.shot(page, "officer-verify-nik-invalid")
    type_into(page, text("verify.nik"), STUDENT_NIK, replace=True)
    see(page, "lahir 2009-05-14")
    expect(nik).to_have_accessible_description("")  # no error any more

    # The roster match, with the NIK masked and the spelling difference explained.
    type_into(page, text("verify.name"), "Siti Rahmawaty")
    see(page, text("verify.roster_found", program=KJP, name="Siti Rahmawati", nik=MASKED_NIK))
    see(page, "RAHMAWATY")
    expect(page.get_by_text(STUDENT_NIK)).to_have_count(0)
    officer_screens.shot(page, "officer-verify-roster")

    # Program and stage, then only the questions the stage's rules need.
    choose(page, text("verify.stage"), STAGE_2)
    choose(page, LEVEL, "SMA / MA / SMALB")
    choose(page, RECIPIENT, "Tidak, penerima lanjutan (sudah punya kartu KJP Plus)")
    choose(page, COLLECTOR, "Orang tua (ayah atau ibu)")
    # A screen reader hears each question with its answer.
    expect(page.get_by_role("button", name=f"{LEVEL}: SMA / MA / SMALB")).to_be_visible()
    expect(page.get_by_role("button", name=f"{text('verify.stage')}: {STAGE_2}")).to_be_visible()
    expect(page.get_by_text(text("verify.answer_first", questions=""), exact=False)).to_have_count(
        0
    )
    # Typing still reaches the fields after the answers changed the screen.
    type_into(page, text("verify.kk"), "3174012001150004")
    see(page, text("verify.kk_ok"))

    # A document in hand, and a photo of another through the file chooser.
    page.get_by_role("checkbox", name=KTP_COPY).click()
    expect(page.get_by_role("checkbox", name=KTP_COPY)).to_be_checked()
    photo = tmp_path / "kk.jpg"
    photo.write_bytes(document_photo())
    with page.expect_file_chooser() as chooser:
        press(page, text("verify.photo", document=KK_COPY))
    chooser.value.set_files(str(photo))
    expect(
        page.get_by_text(re.compile(r"Foto tersimpan: Fotokopi Kartu Keluarga \(KK\) \(\d+ KB\)"))
    ).to_be_visible()
    expect(page.get_by_role("checkbox", name=KK_COPY)).to_be_checked()
    officer_screens.shot(page, "officer-verify-answers")

    # The result: exactly what is missing, and why.
    press(page, text("verify.check"))
    see(page, text("verify.incomplete"))
    see(page, "Surat permohonan KJP Plus: ")
    officer_screens.shot(page, "officer-verify-result")

    press(page, text("verify.save"))
    saved = page.get_by_text(re.compile(r"Tersimpan\. Nomor registrasi: \S+"))
    expect(saved).to_be_visible()
    number = saved.inner_text().rsplit(" ", 1)[-1]
    expect(page.get_by_role("img", name=text("verify.receipt"))).to_be_visible()
    expect(page.get_by_role("button", name=text("verify.save"), exact=True)).to_be_disabled()
    press(page, text("verify.print"))  # no printer at this counter: it says what to do instead
    see(page, text("counter.printer_missing"))
    officer_screens.shot(page, "officer-verify-saved")

    # The submission waits in the list, NIK masked, with what is missing.
    press(page, text("app.nav_submissions"))
    see(page, text("submissions.line", number=number, program="kjp-plus", stage=2, nik=MASKED_NIK))
    see(page, text("submissions.state_pending"))
    officer_screens.shot(page, "officer-submissions")
    page.close()

    kiosk = open_kiosk(officer_screens.data_dir)
    try:
        [line] = [line for line in submission_lines(kiosk) if line.register_number == number]
        assert line.completeness == "incomplete" and line.outbox_state == "pending"
        photos = list((kiosk.data_dir / "attachments").rglob("*.jpg"))
        assert photos, "the document photo was stored"
    finally:
        kiosk.close()


def test_switching_language_keeps_what_the_officer_typed(officer_screens):
    page = officer_screens.open("/")
    sign_in(page)
    type_into(page, text("verify.nik"), STUDENT_NIK)
    type_into(page, text("verify.name"), "Siti Rahmawaty")
    type_into(page, text("verify.kk"), "31740120011500")  # not finished yet
    choose(page, text("verify.stage"), STAGE_2)
    choose(page, LEVEL, "SMA / MA / SMALB")
    page.get_by_role("checkbox", name=KK_COPY).click()

    press(page, text("app.language_switch"))
    see(page, text("verify.heading", "en"))
    expect(value_of(page, "NIK")).to_have_value(STUDENT_NIK)
    expect(value_of(page, text("verify.name", "en"))).to_have_value("Siti Rahmawaty")
    expect(value_of(page, text("verify.kk", "en"))).to_have_value("31740120011500")
    see(page, text("verify.kk_partial", "en", count=14))
    see(page, "RAHMAWATY")
    expect(page.get_by_role("checkbox", name="Copy of the family card (KK)")).to_be_checked()
    expect(page.get_by_role("button", name="Stage: Stage II (July to December)")).to_be_visible()
    expect(
        page.get_by_role(
            "button",
            name="At what level is the child at school?: "
            "Senior secondary school (SMA / MA / SMALB)",
        )
    ).to_be_visible()
    officer_screens.shot(page, "officer-verify-english")

    # And typing goes on where it stopped.
    type_into(page, text("verify.kk", "en"), "3174012001150004", replace=True)
    see(page, text("verify.kk_ok", "en"))
    press(page, text("app.language_switch", "en"))
    expect(value_of(page, text("verify.kk"))).to_have_value("3174012001150004")
    page.close()


def unnamed_controls(page: Any) -> list[str]:
    """Controls a screen reader would announce without a name (from the accessibility tree)."""
    tree = page.locator("body").aria_snapshot()
    pattern = re.compile(r"^\s*- (button|checkbox|textbox|switch|combobox|img|slider)\b(?! \")")
    return [line.strip() for line in tree.splitlines() if pattern.match(line)]


def test_every_control_has_a_name_and_the_form_works_from_the_keyboard(officer_screens, tmp_path):
    import segno

    page = officer_screens.open("/")
    assert unnamed_controls(page) == []
    sign_in(page)
    assert unnamed_controls(page) == []

    # Enter moves from field to field; the NIK field has the focus from the start.
    nik = page.get_by_role("textbox", name=text("verify.nik"), exact=True)
    expect(nik).to_be_focused()
    expect(nik).to_have_attribute("autocorrect", "on")
    page.keyboard.type(STUDENT_NIK)
    expect(nik).to_have_value(STUDENT_NIK)
    for label, value in ((text("verify.name"), "Siti Rahmawati"), (text("verify.kk"), "")):
        page.keyboard.press("Enter")
        box = page.get_by_role("textbox", name=label, exact=True)
        expect(box).to_be_focused()
        expect(box).to_have_attribute("autocorrect", "on")
        page.keyboard.type(value)
        expect(box).to_have_value(value)
    page.keyboard.press("Enter")  # on to the program menu
    expect(page.get_by_role("textbox", name=text("verify.kk"), exact=True)).not_to_be_focused()
    # Tab reaches "Check" and Enter presses it.
    check = page.get_by_role("button", name=text("verify.check"), exact=True)
    tab_to(page, check)
    page.keyboard.press("Enter")
    see(page, text("verify.incomplete"))
    assert unnamed_controls(page) == []
    officer_screens.shot(page, "officer-keyboard-only")

    # A photo of a code: a KK's Dukcapil QR fills nothing and says why; a NIK's fills the field.
    dukcapil = tmp_path / "kk-qr.png"
    segno.make_qr("https://sidukcapil.dukcapil.kemendagri.go.id/tte/verify?id=Qm9ndXM").save(
        str(dukcapil), scale=8, border=4
    )
    with page.expect_file_chooser() as chooser:
        press(page, text("verify.scan"))
    chooser.value.set_files(str(dukcapil))
    see(page, text("payload.dukcapil.verify_in_ikd"))
    see(page, "lahir 2009-05-14")  # the typed NIK stays, and so does what it says
    officer_screens.shot(page, "officer-scan-dukcapil")

    other = "3174022303100001"  # Muhammad Abdul Rahman in the sample roster
    code = tmp_path / "nik-qr.png"
    segno.make_qr(other).save(str(code), scale=8, border=4)
    with page.expect_file_chooser() as chooser:
        press(page, text("verify.scan"))
    chooser.value.set_files(str(code))
    see(page, text("verify.scan_filled", fields="NIK"))
    see(page, "Muhammad Abdul Rahman")
    see(page, "lahir 2010-03-23")
    expect(page.get_by_text("lahir 2009-05-14")).to_have_count(0)
    officer_screens.shot(page, "officer-scan-nik")
    page.close()
