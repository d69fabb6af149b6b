"""Decoding real code images: every format, two codes in a frame, turned frames, binary payloads."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import segno
from PIL import Image, ImageFilter

from kiosk.scan.decode import DEFAULT_PIPELINE, CodeRead, Step, decode_picture, payload_text
from kiosk.scan.preprocess import View, enlarged
from tests.benchmarks.scan_corpus import make_sample
from tests.scan.code_images import code, page

PAYLOADS = {
    "qr": "https://verifikasi.dukcapil.kemendagri.go.id/kk?sig=Ab12Cd34",
    "code128": "KJP-2026-T2-000123",
    "pdf417": "PKH-2026-T1-004512|3174011405090003|BRI|750000",
    "datamatrix": "LKP1:7KQ2ZB-000123-M:ABCDEFGH",
    "ean13": "5901234123457",
    "ean8": "96385074",
}


def _centre(read: CodeRead) -> tuple[float, float]:
    return (sum(x for x, _ in read.position) / 4, sum(y for _, y in read.position) / 4)


def _near(point: tuple[float, float], expected: tuple[float, float], tolerance: float) -> bool:
    return math.dist(point, expected) <= tolerance


@pytest.mark.parametrize("fmt", sorted(PAYLOADS))
def test_each_format_decodes_with_its_text_bytes_position_and_backend(fmt):
    written = {"ean13": PAYLOADS["ean13"][:12], "ean8": PAYLOADS["ean8"][:7]}.get(
        fmt, PAYLOADS[fmt]
    )
    symbol = code(fmt, written, 2)  # the writer adds the EAN check digit
    frame = page((symbol, (60, 50)), size=(720, 400))
    [read] = decode_picture(frame)
    assert read.format == fmt
    assert read.text == PAYLOADS[fmt]
    assert read.raw == PAYLOADS[fmt].encode()
    assert read.backend == "zxing-cpp"
    assert read.elapsed_ms > 0
    expected = (60 + symbol.width / 2, 50 + symbol.height / 2)
    assert _near(_centre(read), expected, max(symbol.size) / 4)


def test_two_codes_in_one_frame_are_both_returned_each_with_its_own_position():
    qr = code("qr", "LKP1:7KQ2ZB-000123-M:ABCDEFGH", 4)
    bars = code("code128", "3174011405090003", 2)
    frame = page((qr, (30, 60)), (bars, (300, 120)), size=(720, 400))
    reads = {read.format: read for read in decode_picture(frame)}
    assert set(reads) == {"qr", "code128"}
    assert reads["qr"].text == "LKP1:7KQ2ZB-000123-M:ABCDEFGH"
    assert reads["code128"].text == "3174011405090003"
    assert _centre(reads["qr"])[0] < 30 + qr.width
    assert _centre(reads["code128"])[0] > 300


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_frame_turned_by_a_right_angle_still_decodes_with_positions_in_the_turned_frame(turn):
    bars = code("pdf417", PAYLOADS["pdf417"], 2)
    frame = page((bars, (40, 80)), size=(560, 300)).rotate(turn, expand=True)
    [read] = decode_picture(frame)
    assert read.text == PAYLOADS["pdf417"]
    width, height = frame.size
    assert all(0 <= x <= width and 0 <= y <= height for x, y in read.position)
    # The code's centre, turned with the frame (PIL turns counter-clockwise).
    cx, cy = 40 + bars.width / 2 - 280, 80 + bars.height / 2 - 150
    angle = math.radians(turn)
    expected = (
        width / 2 + cx * math.cos(angle) + cy * math.sin(angle),
        height / 2 - cx * math.sin(angle) + cy * math.cos(angle),
    )
    assert _near(_centre(read), expected, 30)


def test_a_code_at_45_degrees_is_read():
    bars = code("code128", "KJP-2026-T2-000123", 2)
    centred = (320 - bars.width // 2, 240 - bars.height // 2)
    frame = page((bars, centred), size=(640, 480)).rotate(
        45, resample=Image.Resampling.BICUBIC, fillcolor=(90, 70, 50)
    )
    reads = decode_picture(frame)
    assert [read.text for read in reads] == ["KJP-2026-T2-000123"]
    assert all(0 <= x <= 640 and 0 <= y <= 480 for x, y in reads[0].position)


def test_a_wide_pdf417_tilted_by_20_degrees_is_read_after_deskewing():
    # zxing-cpp alone reads PDF417 only within ~6 degrees of level (SYNC.md item 9: wide PDF417).
    bars = code("pdf417", PAYLOADS["pdf417"], 2)
    centred = (320 - bars.width // 2, 240 - bars.height // 2)
    frame = page((bars, centred), size=(640, 480)).rotate(
        20, resample=Image.Resampling.BICUBIC, fillcolor=(90, 70, 50)
    )
    assert decode_picture(frame, pipeline=DEFAULT_PIPELINE[:2]) == []
    [read] = decode_picture(frame)
    assert read.text == PAYLOADS["pdf417"]
    assert read.step == "deskewed"
    assert _near(_centre(read), (320, 240), 15)


def _small_code_frame() -> Image.Image:
    """A QR at 1.3 pixels per module, slightly out of focus, in a 1280x720 frame."""
    symbol = code("qr", "KJP-2026-T2-000123", 8)
    small = symbol.resize((round(symbol.width * 1.3 / 8),) * 2, Image.Resampling.BOX)
    return page((small, (900, 500)), size=(1280, 720)).filter(ImageFilter.GaussianBlur(0.5))


def test_a_small_code_missed_by_plain_zxing_is_read_and_placed_in_the_frames_own_pixels():
    frame = _small_code_frame()
    assert decode_picture(frame, pipeline=DEFAULT_PIPELINE[:2]) == []  # plain zxing-cpp
    [read] = decode_picture(frame)
    assert read.text == "KJP-2026-T2-000123"
    assert read.step == "upscaled"  # found in a 2x view, reported in the frame's pixels
    side = round(code("qr", "KJP-2026-T2-000123", 8).width * 1.3 / 8)
    assert _near(_centre(read), (900 + side / 2, 500 + side / 2), 6)


def test_a_time_budget_stops_before_the_later_steps():
    frame = _small_code_frame()
    assert decode_picture(frame, budget_ms=0) == []  # only the first step ran
    assert decode_picture(frame, budget_ms=None) != []


def test_binary_and_non_utf8_payloads_are_kept_as_bytes_and_never_shown_as_text():
    payload = b"\xff\xfe\x00LKP\x80\x81"
    [read] = decode_picture(page((code("qr", payload, 4), (40, 40))))
    assert read.raw == payload
    assert read.text is None
    assert read.is_binary
    assert read.to_dict()["raw_hex"] == payload.hex()


def test_utf8_payloads_come_back_as_text():
    [read] = decode_picture(page((code("qr", "Café Ünïcode".encode(), 4), (40, 40))))
    assert read.text == "Café Ünïcode"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"KJP-2026-T2-000123", "KJP-2026-T2-000123"),
        ("Siti Rahmawati ü".encode(), "Siti Rahmawati ü"),
        (b"]d2\x1d0104912345678904", "]d2\x1d0104912345678904"),  # GS1 separator is text
        (b"\xff\xfeabc", None),
        (b"abc\x00def", None),
        ("\ufeffKJP-2026-T2-000123".encode(), "KJP-2026-T2-000123"),  # a byte-order mark
        (b"", ""),
    ],
)
def test_payload_text_is_utf8_without_stray_control_bytes(raw, expected):
    assert payload_text(raw) == expected


def test_grey_and_colour_arrays_and_transparent_images_decode_alike():
    frame = page((code("qr", "PKH-2026-T3-000001", 4), (30, 30)))
    rgba = frame.convert("RGBA")
    for picture in (np.asarray(frame), np.asarray(frame.convert("L")), rgba):
        assert [read.text for read in decode_picture(picture)] == ["PKH-2026-T3-000001"]


def test_a_frame_without_a_code_gives_no_reads():
    assert decode_picture(page(size=(640, 360))) == []


def test_a_code_found_by_the_first_step_is_returned_once():
    frame = page((code("qr", "PKH-2026-T3-000001", 4), (30, 30)))
    [read] = decode_picture(frame)
    assert read.step == DEFAULT_PIPELINE[0].name


LINK = "https://verifikasi.dukcapil.kemendagri.go.id/kk?sig=Ab12Cd34"


def _turned(image: Image.Image, degrees: float) -> Image.Image:
    return image.convert("L").rotate(
        degrees, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=255
    )


@pytest.mark.parametrize("tilt", [12, 16, 20, -14])
def test_a_level_qr_and_a_tilted_pdf417_in_one_frame_are_both_returned(tilt):
    # The QR is read by the first step; the PDF417 only after deskewing, which a first find
    # used to skip.
    qr = code("qr", LINK, 4)
    bars = _turned(code("pdf417", PAYLOADS["pdf417"], 2), tilt)
    frame = page((qr, (40, 60)), (bars, (420, 80)), size=(1280, 720))
    reads = {read.format: read for read in decode_picture(frame)}
    assert set(reads) == {"qr", "pdf417"}
    assert reads["qr"].text == LINK and reads["qr"].step == "upright"
    assert reads["pdf417"].text == PAYLOADS["pdf417"] and reads["pdf417"].step == "deskewed"
    assert _near(_centre(reads["qr"]), (40 + qr.width / 2, 60 + qr.height / 2), 10)
    pdf_centre = (420 + bars.width / 2, 80 + bars.height / 2)
    assert _near(_centre(reads["pdf417"]), pdf_centre, 15)


def test_a_tilted_letter_with_a_qr_and_a_pdf417_gives_both_with_positions():
    qr = code("qr", LINK, 4)
    bars = code("pdf417", PAYLOADS["pdf417"], 2)
    letter = page((qr, (300, 200)), (bars, (560, 230)), size=(1280, 720))
    frame = letter.rotate(15, resample=Image.Resampling.BICUBIC, fillcolor=(90, 70, 50))
    reads = {read.format: read for read in decode_picture(frame)}
    assert set(reads) == {"qr", "pdf417"}
    # Each centre, turned with the letter (PIL turns counter-clockwise about the middle).
    angle = math.radians(15)
    for read, (x, y) in (
        (reads["qr"], (300 + qr.width / 2, 200 + qr.height / 2)),
        (reads["pdf417"], (560 + bars.width / 2, 230 + bars.height / 2)),
    ):
        dx, dy = x - 640, y - 360
        expected = (
            640 + dx * math.cos(angle) + dy * math.sin(angle),
            360 - dx * math.sin(angle) + dy * math.cos(angle),
        )
        assert _near(_centre(read), expected, 15)


def test_a_sideways_page_gives_its_qr_and_its_code128():
    # "upright" reads the QR at any angle but not the Code 128 turned by a quarter turn.
    qr = code("qr", LINK, 4)
    bars = code("code128", "3174011405090003", 2)
    frame = page((qr, (40, 60)), (bars, (300, 120)), size=(720, 400)).rotate(90, expand=True)
    reads = {read.format: read.text for read in decode_picture(frame)}
    assert reads == {"qr": LINK, "code128": "3174011405090003"}


def test_a_second_look_never_returns_a_code_twice():
    qr = code("qr", LINK, 4)
    bars = code("pdf417", PAYLOADS["pdf417"], 2)
    letter = page((qr, (300, 200)), (bars, (560, 230)), size=(1280, 720))
    frame = letter.rotate(8, resample=Image.Resampling.BICUBIC, fillcolor=(90, 70, 50))
    formats = sorted(read.format for read in decode_picture(frame))
    assert formats == ["pdf417", "qr"]


def test_a_custom_pipeline_can_use_the_second_backend_alone():
    frame = page((code("qr", "PKH-2026-T3-000001", 4), (30, 30)))
    [read] = decode_picture(frame, pipeline=(Step("zbar only", "pyzbar"),))
    assert read.backend == "pyzbar"
    assert read.text == "PKH-2026-T3-000001"


def test_a_micro_qr_from_segno_is_read():
    # segno makes a Micro QR for a short text; plain zxing-cpp reads it, so must we.
    symbol = segno.make("KJP-2", micro=True)
    assert symbol.designator.startswith("M")
    out = io.BytesIO()
    symbol.save(out, kind="png", scale=6, border=4)
    frame = page((Image.open(out), (60, 40)), size=(640, 360))
    [read] = decode_picture(frame)
    assert read.format == "microqr"
    assert read.text == "KJP-2"


def test_a_big_picture_is_not_enlarged_but_a_camera_frame_is():
    frame = View(np.zeros((720, 1280), dtype=np.uint8))
    photo = View(np.zeros((3000, 4000), dtype=np.uint8))
    assert enlarged(frame, 2.0).pixels.shape == (1440, 2560)
    assert enlarged(photo, 2.0) is None  # 48 megapixels enlarged: memory, and pixels enough


def test_a_blurred_qr_is_never_taken_for_a_micro_qr():
    # Its corner, one finder pattern, once read as Micro QR "8060": a wrong payload.
    frame = make_sample(132, seed=2).image
    reads = decode_picture(frame)
    assert "microqr" not in {read.format for read in reads}
    assert all(read.text.startswith("https://verifikasi.dukcapil") for read in reads)


def test_the_second_backend_still_looks_at_a_photo_too_big_to_enlarge():
    # A 12-megapixel phone photo skips every enlarging step; zbar's step must not go with them.
    photo = page((code("code128", "PKH-2026-T3-000001", 6), (900, 700)), size=(4000, 3000))
    pyzbar_steps = tuple(step for step in DEFAULT_PIPELINE if step.backend == "pyzbar")
    reads = decode_picture(photo, pipeline=pyzbar_steps)
    assert [(read.backend, read.text) for read in reads] == [("pyzbar", "PKH-2026-T3-000001")]


def test_a_camera_frame_gets_no_extra_look_from_the_big_photo_step():
    frame = page(size=(1280, 720))
    big_photo_step = next(step for step in DEFAULT_PIPELINE if step.name == "pyzbar, big photo")
    assert decode_picture(frame, pipeline=(big_photo_step,)) == []
