"""The camera in real Chromium: a fake camera showing a NIK's QR code fills the officer's NIK
field by itself once two consecutive pictures agree, one showing a receipt opens its status at
the self-check kiosk; no camera, or a camera the browser refuses, is told in words."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect

from kiosk.domain.receipts import make_receipt_code
from kiosk.domain.register_numbers import parse_register_number
from kiosk.i18n import text
from kiosk.services.submissions import record_submission
from kiosk.store.keys import receipt_key
from tests.e2e.actions import press, see
from tests.e2e.browser import launch_chromium
from tests.e2e.conftest import Screens
from tests.e2e.test_officer_e2e import sign_in
from tests.support.requests import kjp_request

pytestmark = pytest.mark.slow

NIK_ON_CAMERA = "3174022303100001"  # Muhammad Abdul Rahman in the sample roster
FAKE_CAMERA = ("--use-fake-device-for-media-stream",)


def y4m_showing(picture: Image.Image, path: Path, frames: int = 10) -> Path:
    """A small YUV4MPEG2 video of one still picture, for Chromium's fake camera."""
    width, height = picture.size
    y, cb, cr = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)
    return path


def camera_showing(text_in_code: str, folder: Path) -> Path:
    """A fake camera's video: the QR code of `text_in_code` in the middle of a white frame."""
    qr = folder / "qr.png"
    segno.make_qr(text_in_code).save(str(qr), scale=8, border=4)
    picture = Image.new("RGB", (640, 480), "white")
    code = Image.open(qr).convert("RGB")
    picture.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    return y4m_showing(picture, folder / "camera.y4m")


@pytest.fixture
def camera_feed(tmp_path) -> Path:
    return camera_showing(NIK_ON_CAMERA, tmp_path)


def open_verify(playwright: Any, url: str, extra_args: tuple[str, ...], **options: Any) -> Any:
    context = launch_chromium(
        playwright, tempfile.mkdtemp(prefix="lengkap-camera-"), extra_args, **options
    )
    page = Screens(context, url).open("/")
    sign_in(page)
    return context, page


def test_a_camera_showing_a_nik_code_fills_the_nik(officer_app, playwright, camera_feed):
    args = (*FAKE_CAMERA, "--use-fake-ui-for-media-stream")
    context, page = open_verify(
        playwright,
        officer_app.url,
        (*args, f"--use-file-for-fake-video-capture={camera_feed}"),
        permissions=["camera"],
    )
    try:
        press(page, text("verify.camera"))
        # Read from the live pictures, with no button to press; the preview closes once read.
        see(page, text("verify.scan_filled", fields="NIK"))
        expect(page.get_by_role("button", name=text("verify.camera_close"))).to_have_count(0)
        see(page, "Muhammad Abdul Rahman")
        Screens(context, officer_app.url).shot(page, "officer-camera-nik")
    finally:
        context.close()


def test_no_camera_is_told_in_words(officer_app, playwright):
    context, page = open_verify(playwright, officer_app.url, ())
    try:
        press(page, text("verify.camera"))
        see(page, text("verify.camera_missing"))
        see(page, text("verify.scan"))  # the other ways stay offered
        Screens(context, officer_app.url).shot(page, "officer-camera-missing")
    finally:
        context.close()


def test_a_refused_camera_is_told_in_words_and_the_form_stays(officer_app, playwright):
    context, page = open_verify(playwright, officer_app.url, FAKE_CAMERA)
    try:
        context.clear_permissions()
        press(page, text("verify.camera"))
        see(page, text("verify.camera_refused"))
        Screens(context, officer_app.url).shot(page, "officer-camera-refused")
    finally:
        context.close()


def test_the_self_check_kiosk_reads_a_receipt_with_the_camera(app, app_kiosk, playwright, tmp_path):
    number = record_submission(app_kiosk, kjp_request()).submission.register_number
    code = make_receipt_code(parse_register_number(str(number)), receipt_key(app_kiosk.db))
    feed = camera_showing(code, tmp_path)
    args = (*FAKE_CAMERA, "--use-fake-ui-for-media-stream")
    context = launch_chromium(
        playwright,
        tempfile.mkdtemp(prefix="lengkap-camera-"),
        (*args, f"--use-file-for-fake-video-capture={feed}"),
        permissions=["camera"],
    )
    try:
        screens = Screens(context, app.url)
        page = screens.open("/selfcheck")
        press(page, text("selfcheck.by_scan"))
        press(page, text("selfcheck.camera"))
        see(page, text("selfcheck.number_line", number=str(number)))
        see(page, text("status.submission.queued"))
        screens.shot(page, "selfcheck-camera-status")
    finally:
        context.close()
