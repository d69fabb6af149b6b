"""Scanning in the app without a browser: the live camera's frame stream, a handheld scanner typing
like a keyboard, and the per-device settings both read."""

from __future__ import annotations

import asyncio
import io
import time

import flet as ft
import pytest
import segno
from PIL import Image

from kiosk.domain.payloads import PayloadKind
from kiosk.domain.receipts import make_receipt_code
from kiosk.domain.register_numbers import parse_register_number
from kiosk.errors import InputError
from kiosk.scan.keyboard import KeyboardTiming
from kiosk.services.handheld import HandheldScanner, key_character, scanner_timing
from kiosk.services.live_scan import LiveScan
from kiosk.services.officers import add_officer
from kiosk.services.scanning import classify_read
from kiosk.services.submissions import record_submission
from kiosk.settings import (
    CameraSettings,
    DeviceSettings,
    ScannerSettings,
    load_device_settings,
)
from kiosk.store.keys import receipt_key
from kiosk.views.camera import CameraScan
from kiosk.views.shell import AppContext
from kiosk.views.verify import VerifyScreen
from kiosk.views.verify_form import VerifyForm
from tests.support.requests import kjp_request

NIK = "3174022303100001"
OTHER_NIK = "3174011405090003"
DUKCAPIL = "https://sidukcapil.dukcapil.kemendagri.go.id/tte/verify?id=Qm9ndXM"


def frame_showing(text: str | None) -> bytes:
    """A camera's JPEG: the QR code of `text` on a light frame (or just the frame)."""
    picture = Image.new("RGB", (640, 480), (236, 232, 222))
    if text is not None:
        qr = io.BytesIO()
        segno.make_qr(text).save(qr, kind="png", scale=6, border=4)
        code = Image.open(qr).convert("RGB")
        picture.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


class FakeCamera:
    """flet-camera's take_picture, replaying frames; each picture moves the fake clock on."""

    def __init__(self, frames: list[bytes], clock: list[float], step: float = 0.3) -> None:
        self.frames, self.clock, self.step = list(frames), clock, step
        self.taken = 0

    async def take_picture(self) -> bytes:
        self.clock[0] += self.step
        frame = self.frames[min(self.taken, len(self.frames) - 1)]
        self.taken += 1
        return frame


def run_camera(
    ctx: AppContext, frames: list[bytes], timeout: float = 20.0
) -> tuple[FakeCamera, list, list]:
    """The camera's scan loop over `frames`: (camera, payload batches received, sentences told)."""
    now = [0.0]
    received: list = []
    told: list = []
    scan = CameraScan(
        ctx.t,
        lambda: LiveScan(ctx.kiosk),
        received.append,
        lambda sentence, is_error: told.append((sentence, is_error)),
        pace=CameraSettings(frame_interval_ms=1, timeout_seconds=timeout),
        clock=lambda: now[0],
    )
    camera = FakeCamera(frames, now)
    scan.camera = camera
    asyncio.run(scan.read_frames(camera))
    assert scan.camera is None  # the scan always ends with the camera closed
    return camera, received, told


@pytest.fixture
def ctx(kiosk):
    return AppContext(kiosk=kiosk)


# --- the live camera -------------------------------------------------------------------------


def test_a_one_off_read_is_not_accepted_but_two_identical_consecutive_reads_are(ctx):
    frames = [frame_showing(NIK), frame_showing(OTHER_NIK), frame_showing(None)]
    frames += [frame_showing(NIK), frame_showing(NIK), frame_showing(OTHER_NIK)]
    camera, received, told = run_camera(ctx, frames)
    assert camera.taken == 5  # stopped on the first confirmed read
    [[payload]] = received
    assert payload.kind is PayloadKind.NIK and payload.fields["nik"] == NIK
    assert (ctx.t("verify.camera_hold"), False) in told


def test_a_code_seen_in_only_one_frame_is_never_accepted(ctx):
    frames = [frame_showing(NIK), frame_showing(OTHER_NIK), frame_showing(NIK), frame_showing(None)]
    camera, received, told = run_camera(ctx, frames, timeout=3.0)
    assert received == []
    assert told[-1] == (ctx.t("verify.camera_timeout", seconds=3), True)
    assert 10 <= camera.taken <= 11  # one picture every 0.3 s until the 3 s were up


def test_the_verify_screen_fills_the_nik_from_the_camera_once_confirmed(ctx):
    screen = VerifyScreen(ctx, lambda route: None, VerifyForm(ctx))
    now = [0.0]
    screen.camera.clock = lambda: now[0]
    screen.camera.pace = CameraSettings(frame_interval_ms=1)
    camera = FakeCamera([frame_showing(NIK)], now)
    screen.camera.camera = camera
    asyncio.run(screen.camera.read_frames(camera))
    assert camera.taken == 2
    assert screen.nik.value == NIK and screen.form.nik == NIK
    assert screen.scanned.value == ctx.t("verify.scan_filled", fields="NIK")


def test_a_frame_that_is_not_a_picture_counts_as_a_frame_without_a_code(kiosk):
    assert LiveScan.decode(b"not a jpeg") == []
    assert LiveScan.decode(b"") == []


# --- a handheld scanner typing like a keyboard -----------------------------------------------


def test_keys_become_the_characters_they_type():
    assert key_character("A", shift=True) == "A"
    assert key_character("A") == "a"
    assert key_character("7") == "7"
    assert key_character(":") == ":"
    assert key_character("Numpad 4") == "4"
    assert key_character("Enter") == "\r"
    assert key_character("Tab") == "\t"
    assert key_character("Shift Left") is None
    assert key_character("Arrow Left") is None
    assert key_character("V", ctrl=True) is None  # a paste, not a key to read


def test_the_handheld_scanner_reads_a_burst_and_leaves_typing_alone(kiosk):
    now = [100.0]
    scanner = HandheldScanner(kiosk, clock=lambda: now[0])
    reads = []
    for key in [*NIK, "Enter"]:
        reads += scanner.key(key)
        now[0] += 0.01
    [read] = reads
    assert read.payload.kind is PayloadKind.NIK and read.text == NIK
    for key in "3174":
        now[0] += 0.15  # a person
        assert scanner.key(key) == []
    now[0] += 1.0
    assert scanner.poll() == [] and not scanner.pending()


def test_the_scanners_settings_reach_the_wedge(kiosk):
    settings = ScannerSettings(prefixes=("@@",), max_gap_ms=50, hiccup_gap_ms=90)
    timing = scanner_timing(settings)
    assert timing == KeyboardTiming(max_gap=0.05, hiccup_gap=0.09, prefixes=("@@",))
    with pytest.raises(InputError):
        scanner_timing(ScannerSettings(max_gap_ms=200))  # slower than the end timeout
    now = [0.0]
    scanner = HandheldScanner(kiosk, settings, clock=lambda: now[0])
    reads = []
    for key in ["@", "@", *NIK, "Enter"]:
        reads += scanner.key(key)
        now[0] += 0.04  # too slow for the default 30 ms, fine for this device's 50
    assert [read.text for read in reads] == [NIK]


def test_a_settings_file_is_read_and_a_wrong_value_is_named(tmp_path):
    assert load_device_settings(tmp_path) == DeviceSettings()
    (tmp_path / "settings.toml").write_text(
        '[scanner]\nprefixes = "@@"\nsuffixes = ["#", "\\t"]\nmax_gap_ms = 45\n'
        "min_length = 6\nstrip_aim_identifier = false\n"
        "[camera]\nframe_interval_ms = 200\ntimeout_seconds = 30\n"
    )
    settings = load_device_settings(tmp_path)
    assert settings.scanner == ScannerSettings(
        prefixes=("@@",),
        suffixes=("#", "\t"),
        max_gap_ms=45.0,
        min_length=6,
        strip_aim_identifier=False,
    )
    assert settings.camera == CameraSettings(frame_interval_ms=200.0, timeout_seconds=30.0)
    (tmp_path / "settings.toml").write_text("[scanner]\nmax_gap_ms = 'fast'\n")
    with pytest.raises(InputError) as caught:
        load_device_settings(tmp_path)
    assert "scanner.max_gap_ms" in caught.value.where
    (tmp_path / "settings.toml").write_text("[scanner]\nmax_gap = 30\n")
    with pytest.raises(InputError, match="not a setting"):
        load_device_settings(tmp_path)


def test_a_receipt_scanned_into_the_nik_field_is_taken_out_and_told(ctx):
    form = VerifyForm(ctx)
    number = record_submission(ctx.kiosk, kjp_request()).submission.register_number
    code = make_receipt_code(parse_register_number(str(number)), receipt_key(ctx.kiosk.db))
    form.nik = code  # the field had the focus and received the keys
    feedback = form.apply_handheld(code, classify_read(ctx.kiosk, code, code.encode()))
    assert form.nik == ""
    assert feedback is not None and feedback.error


def test_a_nik_scanned_into_the_name_field_moves_to_its_own_field(ctx):
    form = VerifyForm(ctx)
    form.nik, form.name = "317", "Siti " + NIK
    feedback = form.apply_handheld(NIK, classify_read(ctx.kiosk, NIK, NIK.encode()))
    assert (form.nik, form.name) == (NIK, "Siti ")
    assert feedback.info == ctx.t("verify.scan_filled", fields="NIK")


def test_a_dukcapil_link_says_to_verify_in_ikd_and_leaves_the_typed_nik(ctx):
    form = VerifyForm(ctx)
    form.nik = "3174" + DUKCAPIL
    feedback = form.apply_handheld(DUKCAPIL, classify_read(ctx.kiosk, DUKCAPIL, DUKCAPIL.encode()))
    assert form.nik == "3174"
    assert ctx.t("payload.dukcapil.verify_in_ikd") in feedback.error


def test_quick_typing_that_is_no_code_stays_in_its_field_unremarked(ctx):
    form = VerifyForm(ctx)
    form.name = "Siti"
    assert form.apply_handheld("Siti", classify_read(ctx.kiosk, "Siti", b"Siti")) is None
    assert form.name == "Siti"


# --- the whole app in a fake browser (tests/app/flet_harness.py) -----------------------------


@pytest.fixture
def browser(kiosk):
    from kiosk.app import KioskApp
    from tests.app.flet_harness import FakeBrowser

    add_officer(kiosk, "Budi", "1234")
    (kiosk.data_dir / "settings.toml").write_text('[scanner]\nprefixes = ["@@"]\n')
    app = KioskApp(kiosk.data_dir, background_sync=False)
    fake = FakeBrowser(app.main)
    fake.type_into("Nama petugas", "Budi")
    fake.type_into("PIN", "1234")
    fake.click("Masuk")
    yield fake
    fake.close()
    app.close()


def scanned(browser) -> str:
    return browser.find(ft.TextField, "NIK").value


def test_a_scanner_burst_fills_the_nik_field_wherever_the_focus_is(browser):
    for key in ["@", "@", *NIK, "Enter"]:  # this device's scanner sends a prefix
        browser.press_key(key)
    assert scanned(browser) == NIK
    assert "Diisi dari kode: NIK." in browser.texts()


def test_a_burst_without_enter_is_read_once_the_scanner_goes_quiet(browser):
    for key in NIK:
        browser.press_key(key, into="Nama")  # the focus was in the name field
    deadline = time.monotonic() + 5
    while scanned(browser) != NIK and time.monotonic() < deadline:
        browser.run(asyncio.sleep(0.05))
    assert scanned(browser) == NIK
    assert browser.find(ft.TextField, "Nama").value == ""  # taken out of the wrong field


def test_typing_slowly_into_the_nik_field_is_typing_not_a_scan(browser):
    for key in NIK[:6]:
        browser.press_key(key, into="NIK")
        browser.run(asyncio.sleep(0.12))  # a person's pace
    browser.run(asyncio.sleep(0.3))
    assert scanned(browser) == NIK[:6]
    assert browser.find(ft.TextField, "NIK").helper == "6 dari 16 angka."
    assert not any("Diisi dari kode" in line for line in browser.texts())


def test_the_self_check_kiosk_opens_a_scanned_receipts_status(kiosk):
    from kiosk.app import KioskApp
    from tests.app.flet_harness import FakeBrowser

    number = str(record_submission(kiosk, kjp_request()).submission.register_number)
    code = make_receipt_code(parse_register_number(number), receipt_key(kiosk.db))
    app = KioskApp(kiosk.data_dir, background_sync=False, selfcheck=True)
    fake = FakeBrowser(app.main)
    try:
        for char in code:
            fake.press_key(char.upper(), shift=char.isupper())
        fake.press_key("Enter")
        assert any(number in line for line in fake.texts())
    finally:
        fake.close()
        app.close()


def test_a_burst_typed_without_shift_is_still_found_in_the_field_it_went_to(ctx):
    form = VerifyForm(ctx)
    form.name = "Siti Rahmawaty"  # the browser labels letters in capitals; Shift decides the case
    keys = "siti rahmawaty"
    assert form.apply_handheld(keys, classify_read(ctx.kiosk, keys, keys.encode())) is None
    assert form.name == "Siti Rahmawaty"


def test_a_register_number_typed_fast_at_the_self_check_stays_in_its_field(kiosk):
    from kiosk.scan.keyboard import ScannerRead
    from kiosk.views.selfcheck import SelfCheckScreen

    screen = SelfCheckScreen(kiosk, lambda route: None, "id")
    screen.show("number")
    typed = "7KQ2ZB-000123-M"
    screen.typing[1].value = typed
    keys = typed.lower()
    read = ScannerRead(
        keys, classify_read(kiosk, keys, keys.encode()), 0.0, 0.1, "enter", keys=keys
    )
    screen.handheld_read(read)
    assert screen.step.name == "number"


def test_a_number_scanned_into_the_kk_field_stays_a_kk(ctx):
    form = VerifyForm(ctx)
    family_kk = "3174012001150004"  # also a valid NIK shape: the field chosen decides
    form.kk = family_kk
    assert form.apply_handheld(family_kk, classify_read(ctx.kiosk, family_kk, b"x")) is None
    assert (form.nik, form.kk) == ("", family_kk)
