"""The officer's screens decide through small view models; these tests drive them without a browser."""

import io
import threading
from pathlib import Path

import pytest
from PIL import Image

from kiosk.assets import assets_dir
from kiosk.bootstrap import open_kiosk
from kiosk.domain.credentials import LOCKOUT_RULE
from kiosk.errors import InputError
from kiosk.services.counter import print_receipt, receipt_png, submission_lines
from kiosk.services.officers import add_officer
from kiosk.services.roster import import_roster
from kiosk.services.sync import SyncProgress, sync_status
from kiosk.services.sync_supervisor import SupervisorSettings, SyncMonitor, SyncSupervisor
from kiosk.store import outbox
from kiosk.views.officer_login import attempt
from kiosk.views.shell import AppContext
from kiosk.views.submissions_list import describe
from kiosk.views.sync_panel import panel_lines, progress_value
from kiosk.views.verify_form import VerifyForm

STUDENT_NIK = "3174015405090003"  # the sample roster's Siti Rahmawati


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def ctx(kiosk):
    return AppContext(kiosk=kiosk)


@pytest.fixture
def answered(ctx):
    """A KJP Plus stage 2 form for a registered student, every question answered."""
    from datetime import datetime

    import_roster(
        ctx.kiosk.db,
        assets_dir() / "samples" / "roster-kjp-plus.csv",
        "kjp-plus",
        regions=None,
        now=datetime(2026, 1, 5),
    )
    form = VerifyForm(ctx, program="kjp-plus", stage=2)
    form.nik, form.name = STUDENT_NIK, "Siti Rahmawaty"
    for fact in form.questions():
        form.answers[fact.id] = form.answer_options(fact)[0][0]
    return form


def test_an_invalid_nik_gets_its_reason_in_the_session_language(ctx):
    form = VerifyForm(ctx)
    form.nik = "3174013205090003"
    indonesian = form.nik_feedback().error
    ctx.lang = "en"
    english = form.nik_feedback().error
    assert indonesian and english and indonesian != english
    assert "32" in english
    assert form.nik == "3174013205090003"  # what was typed stays


def test_a_valid_nik_explains_itself_and_an_empty_one_says_nothing(ctx):
    form = VerifyForm(ctx)
    assert form.nik_feedback().error is None and form.nik_feedback().info is None
    form.nik = STUDENT_NIK
    feedback = form.nik_feedback()
    assert feedback.error is None and "2009-05-14" in feedback.info


def test_a_registered_nik_shows_the_roster_name_and_the_name_comparison(answered):
    lines = answered.roster_lines()
    assert "3174********0003" in lines[0] and STUDENT_NIK not in " ".join(lines)
    assert "Siti Rahmawati" in lines[0]
    assert any("RAHMAWATY" in line for line in lines)  # the spelling difference, explained


def test_an_unregistered_nik_says_so(ctx):
    form = VerifyForm(ctx, program="kjp-plus")
    form.nik = "3174022303100009"
    assert form.roster_lines() == [ctx.t("verify.roster_not_found")]


def test_only_the_questions_the_stage_depends_on_are_asked(ctx):
    form = VerifyForm(ctx, program="kjp-plus", stage=2)
    asked = {fact.id for fact in form.questions()}
    rules_facts = {fact.id for fact in form._rules().facts}
    assert asked and asked <= rules_facts


def test_the_result_says_exactly_what_is_missing_and_why(answered):
    complete, lines = answered.result_lines()
    assert not complete
    assert lines[0] == answered.ctx.t("verify.incomplete")
    assert all(":" in line for line in lines[1:])
    answered.held = {doc for doc, _ in answered.documents()}
    complete, lines = answered.result_lines()
    assert complete and lines[0] == answered.ctx.t("verify.complete")


def test_unanswered_questions_are_named_by_their_question(ctx):
    form = VerifyForm(ctx, program="kjp-plus", stage=2)
    _, lines = form.result_lines()
    question = ctx.texts(form.questions()[0].question)
    assert any(question in line for line in lines)


def test_changing_the_program_drops_answers_that_no_longer_apply(answered):
    answered.held = {doc for doc, _ in answered.documents()}
    answered.choose(program="pkh")
    known = {fact.id for fact in answered.questions()}
    assert set(answered.answers) <= known
    assert answered.held <= {doc for doc, _ in answered.documents()}


def test_saving_keeps_the_photo_and_offers_a_receipt(answered):
    first_document = answered.documents()[0][0]
    answered.held = {first_document}
    answered.photos = {first_document: _jpeg()}
    outcome = answered.save()
    number = str(outcome.submission.register_number)
    assert outcome.submission.documents[0].photo_sha256
    assert not list(answered.ctx.kiosk.data_dir.glob(".incoming-*"))  # originals deleted
    png = receipt_png(answered.ctx.kiosk, number)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_printing_without_a_printer_says_so(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_PRINTER", raising=False)
    with pytest.raises(InputError) as caught:
        print_receipt(tmp_path / "r.png")
    assert caught.value.code == "counter.printer_missing"


def test_the_list_shows_each_submission_masked_with_its_state_and_reason(answered):
    answered.save()
    ctx = answered.ctx
    [line] = submission_lines(ctx.kiosk)
    what, state = describe(ctx, line)
    assert "3174********0003" in what and STUDENT_NIK not in what
    assert state.startswith(ctx.t("submissions.state_pending"))
    row = outbox.due_rows(ctx.kiosk.db)[0]
    outbox.quarantine(
        ctx.kiosk.db, row.seq, code="invalid_record", message=None, at="2026-01-05T10:00:00+07:00"
    )
    [line] = submission_lines(ctx.kiosk)
    _, state = describe(ctx, line)
    assert state.startswith(ctx.t("submissions.state_quarantined"))
    assert ctx.t("sync.code.invalid_record") in state


def test_a_wrong_pin_and_an_unknown_name_read_the_same_up_to_the_lock_countdown(ctx):
    from datetime import UTC, datetime

    def fixed_clock() -> datetime:  # a fixed clock: the countdown must not cross a second
        return datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    add_officer(ctx.kiosk, "Budi", "1234")
    said = []
    for _ in range(LOCKOUT_RULE.max_misses):
        _, wrong = attempt(ctx, "Budi", "0000", clock=fixed_clock)
        _, unknown = attempt(ctx, "Bodi", "1234", clock=fixed_clock)
        assert wrong == unknown
        said.append(wrong)
    assert said[:-1] == ["Nama atau PIN salah."] * (LOCKOUT_RULE.max_misses - 1)
    assert said[-1] == "Terlalu banyak percobaan salah untuk nama ini. Coba lagi dalam 15:00."
    ctx.lang = "en"
    _, wrong = attempt(ctx, "Budi", "1234", clock=fixed_clock)
    _, unknown = attempt(ctx, "Bodi", "1234", clock=fixed_clock)
    assert wrong == unknown == "Too many wrong attempts for this name. Try again in 15:00."
    assert ctx.officer is None


def test_idle_time_is_measured_from_the_last_input(ctx):
    ctx.touch()
    ctx.last_input = 1000.0  # a round clock: (t + 300) - t is not always 300 in floating point
    assert not ctx.is_idle(now=ctx.last_input + 299)
    assert ctx.is_idle(now=ctx.last_input + 300)


def test_the_panel_shows_progress_then_the_error_in_words(ctx):
    monitor = SyncMonitor()
    monitor.progressed(SyncProgress("records", 2, 4, 512 * 1024, 1024 * 1024))
    state = monitor.state()
    assert progress_value(state) == 0.5
    lines = panel_lines(ctx, sync_status(ctx.kiosk), state)
    assert ctx.t("sync_panel.running") in lines
    assert any("512 dari 1024 KB" in line for line in lines)


def test_syncing_an_unenrolled_device_loses_nothing_and_says_what_to_do(answered):
    answered.save()
    ctx = answered.ctx
    supervisor = SyncSupervisor(lambda: open_kiosk(ctx.kiosk.data_dir))
    supervisor.sync_now()
    state = supervisor.monitor.state()
    assert not state.running and state.error["code"] == "sync.not_enrolled"
    lines = panel_lines(ctx, sync_status(ctx.kiosk), state)
    assert ctx.t("sync_panel.pending", count=1) in lines
    assert any("kiosk enroll" in line for line in lines)


def test_background_sync_stops_when_asked(kiosk):
    folder = Path(kiosk.data_dir)
    supervisor = SyncSupervisor(lambda: open_kiosk(folder), SupervisorSettings(interval=0.05))
    assert supervisor.start() and not supervisor.start()  # one thread, however often started
    supervisor.stop(timeout=5)
    assert not supervisor.running


# --- the whole app in a fake browser (tests/app/flet_harness.py) -----------------------------


@pytest.fixture
def browser(kiosk):
    import flet as ft  # noqa: F401  (the harness needs Flet; kept out of the pure tests above)

    from kiosk.app import KioskApp
    from tests.app.flet_harness import FakeBrowser

    add_officer(kiosk, "Budi", "1234")
    app = KioskApp(kiosk.data_dir, background_sync=False, idle_seconds=0.2)
    fake = FakeBrowser(app.main)
    yield fake
    fake.close()
    app.close()


def test_the_app_opens_on_sign_in_and_a_wrong_pin_is_told(browser):
    import flet as ft

    browser.type_into("Nama petugas", "Budi")
    browser.type_into("PIN", "0000")
    browser.click("Masuk")
    assert "Nama atau PIN salah." in browser.texts()
    assert browser.find(ft.TextField, "PIN").value == ""


def test_the_sign_in_screen_shows_an_unknown_name_exactly_what_it_shows_a_wrong_pin(browser):
    screens = []
    for name, pin in [("Budi", "0000"), ("Bodi", "1234")]:
        browser.type_into("Nama petugas", name)
        browser.type_into("PIN", pin)
        browser.click("Masuk")
        screens.append([line.replace(name, "NAME") for line in browser.texts()])
    assert screens[0] == screens[1] and "Nama atau PIN salah." in screens[0]


def test_signed_in_an_invalid_nik_shows_its_reason_under_the_field(browser):
    import flet as ft

    browser.type_into("Nama petugas", "Budi")
    browser.type_into("PIN", "1234")
    browser.click("Masuk")
    browser.type_into("NIK", "3174013205090003")
    field = browser.find(ft.TextField, "NIK")
    assert field.value == "3174013205090003" and "32" in field.error
    browser.click("English")
    assert browser.find(ft.Button, "Bahasa Indonesia")
    browser.find(ft.TextField, "NIK")  # same label in both languages


def test_an_idle_counter_returns_to_sign_in(browser):
    import asyncio

    import flet as ft

    browser.type_into("Nama petugas", "Budi")
    browser.type_into("PIN", "1234")
    browser.click("Masuk")
    browser.run(asyncio.sleep(0.5))
    assert browser.find(ft.TextField, "Nama petugas")
    assert any("tidak ada aktivitas" in line for line in browser.texts())


def sign_in(browser) -> None:
    browser.type_into("Nama petugas", "Budi")
    browser.type_into("PIN", "1234")
    browser.click("Masuk")


def test_switching_language_keeps_what_the_officer_typed(browser):
    import flet as ft

    sign_in(browser)
    browser.type_into("NIK", STUDENT_NIK)
    browser.type_into("Nama", "Siti Rahmawaty")
    browser.type_into("No. KK", "31740120011500")
    browser.click("English")
    values = {c.label: c.value for c in browser.controls() if isinstance(c, ft.TextField)}
    assert values == {"NIK": STUDENT_NIK, "Name": "Siti Rahmawaty", "No. KK": "31740120011500"}
    assert "14 of the 16 digits of the No. KK." in [
        c.helper for c in browser.controls() if isinstance(c, ft.TextField)
    ]


def test_signing_out_forgets_what_was_typed_for_the_last_person(browser):
    import flet as ft

    sign_in(browser)
    browser.type_into("NIK", STUDENT_NIK)
    browser.click("Keluar")
    sign_in(browser)
    assert browser.find(ft.TextField, "NIK").value == ""


def test_a_wrong_pin_gives_a_fresh_empty_pin_field(browser):
    import flet as ft

    browser.type_into("Nama petugas", "Budi")
    browser.type_into("PIN", "0000")
    typed_into = browser.find(ft.TextField, "PIN")
    browser.click("Masuk")
    fresh = browser.find(ft.TextField, "PIN")
    # A new control: Flet 1.0 would not send a typed value set back to "" to the browser.
    assert fresh is not typed_into and fresh.value == ""


def test_one_background_sync_runs_however_many_sessions_are_open(kiosk):
    from kiosk.app import KioskApp
    from tests.app.flet_harness import FakeBrowser

    app = KioskApp(kiosk.data_dir, sync_interval=0.5)
    tabs = [FakeBrowser(app.main) for _ in range(3)]
    try:
        running = [t for t in threading.enumerate() if t.name == "lengkap-background-sync"]
        assert len(running) == 1 and app.sync.running
    finally:
        for tab in tabs:
            tab.close()
        app.close()
    assert not app.sync.running


def test_saving_wakes_the_background_sync(answered):
    background = SyncSupervisor(lambda: open_kiosk(answered.ctx.kiosk.data_dir))
    answered.ctx.extras["record_saved"] = background.poke
    from kiosk.views.verify import VerifyScreen

    screen = VerifyScreen(answered.ctx, lambda route: None, answered)
    screen.save(None)
    assert answered.saved_number and background.watcher.poked
    assert screen.save_button.disabled  # one person, one submission


def test_each_open_sync_panel_listens_and_stops_when_it_leaves(kiosk):
    import flet as ft

    from kiosk.app import KioskApp
    from tests.app.flet_harness import FakeBrowser

    add_officer(kiosk, "Budi", "1234")
    app = KioskApp(kiosk.data_dir, background_sync=False)
    tabs = [FakeBrowser(app.main) for _ in range(2)]
    try:
        for tab in tabs:
            sign_in(tab)
            tab.click("Sinkronisasi")
            assert tab.find(ft.Button, "Sinkronkan sekarang")
        assert app.monitor.listeners() == 2
        tabs[0].click("Verifikasi")
        assert app.monitor.listeners() == 1
        app.monitor.progressed(SyncProgress("records", 1, 2, 10, 20))
        assert any("Sedang sinkron" in line for line in tabs[1].texts())
        assert not any("Sedang sinkron" in line for line in tabs[0].texts())
    finally:
        for tab in tabs:
            tab.close()
        app.close()


def test_a_photo_of_a_nik_code_fills_the_field(ctx):
    import segno

    from kiosk.services.scanning import payloads_in_photo

    picture = io.BytesIO()
    segno.make_qr(STUDENT_NIK).save(picture, kind="png", scale=8, border=4)
    form = VerifyForm(ctx)
    feedback = form.apply_scan(payloads_in_photo(ctx.kiosk, picture.getvalue()))
    assert form.nik == STUDENT_NIK and feedback.error is None
    assert feedback.info == ctx.t("verify.scan_filled", fields="NIK")


def test_a_dukcapil_code_fills_nothing_and_says_to_verify_in_ikd(ctx):
    from kiosk.services.scanning import classify_read

    link = b"https://sidukcapil.dukcapil.kemendagri.go.id/tte/verify?id=Qm9ndXM"
    form = VerifyForm(ctx)
    form.nik = "3174"
    feedback = form.apply_scan([classify_read(ctx.kiosk, None, link)])
    assert form.nik == "3174"  # what was typed stays
    assert ctx.t("payload.dukcapil.verify_in_ikd") in feedback.error


def test_a_photo_without_a_code_says_so(ctx):
    from kiosk.services.scanning import payloads_in_photo

    form = VerifyForm(ctx)
    feedback = form.apply_scan(payloads_in_photo(ctx.kiosk, _jpeg()))
    assert feedback.error == ctx.t("verify.scan_no_code")


def test_the_large_text_setting_scales_the_text_and_keeps_the_form(browser):
    import flet as ft

    from kiosk.views.shell import LARGE_TEXT_SCALE

    sign_in(browser)
    browser.type_into("NIK", STUDENT_NIK)
    switch = browser.find(ft.Switch, "Teks besar")
    switch.value = True
    browser.run(browser.session.dispatch_event(switch._i, "change", True))
    sizes = browser.page.theme.text_theme
    assert sizes.body_large.size == round(16 * LARGE_TEXT_SCALE)
    assert browser.find(ft.Switch, "Teks besar").value is True
    assert browser.find(ft.TextField, "NIK").value == STUDENT_NIK


def test_a_camera_the_plugin_cannot_open_is_told_as_missing_or_refused():
    from kiosk.views.camera import camera_problem

    missing = RuntimeError(
        "CameraException(cameraNotFound, No camera found for the given options.)"
    )
    refused = RuntimeError("CameraException(CameraAccessDenied, The camera cannot be used.)")
    assert camera_problem(missing) == "verify.camera_missing"
    assert camera_problem(refused) == "verify.camera_refused"
