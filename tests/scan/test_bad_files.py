"""Bad files: each gets its own ImageError (translation code, the file as `where`); a batch goes on."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from kiosk.errors import ImageError
from kiosk.i18n import LANGUAGES, text
from kiosk.scan.decode import scan_file, scan_files
from kiosk.scan.preprocess import open_picture
from tests.scan.code_images import code, encoded, page


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png_header(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims width x height grey pixels; the data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture
def decoded_images(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of every image whose pixels Pillow decodes (ImageFile.load) during the test.

    "Refused before decoding" is checked on what the code did, not on a stopwatch: a loaded
    machine can make a refusal slow, but only decoding the pixels makes it costly.
    """
    decoded: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counted_load(image: ImageFile.ImageFile) -> object:
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    return decoded


@pytest.fixture
def good_png(tmp_path: Path) -> Path:
    path = tmp_path / "undangan.png"
    path.write_bytes(encoded(page((code("qr", "PKH-2026-T1-000777", 4), (40, 40)))))
    return path


def _error(path: Path) -> ImageError:
    result = scan_file(path)
    assert result.reads == ()
    assert isinstance(result.error, ImageError)
    assert result.error.where == str(path)
    return result.error


def test_a_zero_byte_file_is_refused_as_empty(tmp_path):
    path = tmp_path / "kosong.jpg"
    path.write_bytes(b"")
    assert _error(path).code == "scan.image.empty"


def test_a_truncated_jpeg_is_refused_as_damaged(tmp_path):
    whole = encoded(page((code("qr", "PKH-2026-T1-000777", 4), (40, 40))), "JPEG", quality=90)
    path = tmp_path / "terpotong.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    assert _error(path).code == "scan.image.damaged"


def test_a_truncated_png_is_refused_as_damaged(tmp_path, good_png):
    path = tmp_path / "terpotong.png"
    path.write_bytes(good_png.read_bytes()[:300])
    assert _error(path).code == "scan.image.damaged"


def test_a_text_file_is_refused_as_not_an_image(tmp_path):
    path = tmp_path / "catatan.jpg"
    path.write_text("NIK 3174011405090003, bukan gambar\n", encoding="utf-8")
    error = _error(path)
    assert error.code == "scan.image.unreadable"
    assert "3174011405090003" not in str(error)  # no personal data in what gets logged


def test_a_20000_by_20000_header_is_refused_before_decoding(tmp_path, decoded_images):
    path = tmp_path / "raksasa.png"
    path.write_bytes(huge_png_header())
    error = _error(path)
    assert decoded_images == []  # refused from the header, nothing decoded
    assert error.code == "scan.image.too_many_pixels"
    assert error.params == {"megapixels": 400, "limit": 40}


def test_a_png_over_40_megapixels_is_refused_from_its_header_with_a_message_naming_the_limit(
    tmp_path, decoded_images
):
    # 7000x7000 is under Pillow's own limit: our check refuses it before any pixel is decoded
    # (decoded, such a PNG once took 770 MB).
    path = tmp_path / "pindaian.png"
    path.write_bytes(huge_png_header(7000, 7000))
    error = _error(path)
    assert decoded_images == []
    assert error.code == "scan.image.too_many_pixels"
    assert error.params == {"megapixels": 49, "limit": 40}
    message = text(error.code, "en", **error.params)
    assert message.startswith("The image has 49 megapixels; the limit is 40 megapixels.")
    assert "49 megapiksel; batasnya 40 megapiksel" in text(error.code, "id", **error.params)


def test_a_picture_under_the_limit_is_decoded_so_the_spy_sees_decoding(good_png, decoded_images):
    assert [read.text for read in scan_file(good_png).reads] == ["PKH-2026-T1-000777"]
    assert decoded_images  # the same spy that sees nothing above does see a real decode


def test_a_big_transparent_photo_opens_grey_fitted_and_on_white(tmp_path):
    photo = Image.new("RGBA", (5000, 3000), (0, 0, 0, 0))  # transparent black: white once open
    photo.paste(code("qr", "KJP-2026-T2-000123", 16).convert("RGBA"), (3000, 1200))
    path = tmp_path / "transparan.png"
    path.write_bytes(encoded(photo))
    picture, factor = open_picture(path)
    assert picture.mode == "L"
    assert picture.size == (4096, 2458) and factor == pytest.approx(5000 / 4096)
    assert picture.getpixel((10, 10)) == 255
    [read] = scan_file(path).reads
    assert read.text == "KJP-2026-T2-000123"
    assert 3000 < min(x for x, _ in read.position) < 3200  # in the photo's full-size pixels


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    assert _error(tmp_path / "tidak-ada.png").code == "scan.image.missing"
    assert _error(tmp_path).code == "scan.image.missing"


def test_a_batch_goes_on_past_bad_files_in_order(tmp_path, good_png):
    empty = tmp_path / "kosong.png"
    empty.write_bytes(b"")
    huge = tmp_path / "raksasa.png"
    huge.write_bytes(huge_png_header())
    results = list(scan_files([good_png, empty, huge, good_png]))
    assert [r.path for r in results] == [str(p) for p in (good_png, empty, huge, good_png)]
    assert [r.readable for r in results] == [True, False, False, True]
    assert [read.text for read in results[3].reads] == ["PKH-2026-T1-000777"]


def test_every_image_error_code_has_a_sentence_in_both_languages():
    codes = ["empty", "damaged", "unreadable", "too_many_pixels", "missing", "too_large_file"]
    for language in LANGUAGES:
        for name in codes:
            assert text(f"scan.image.{name}", language) != f"scan.image.{name}"


def test_a_phone_photo_is_read_upright_and_positions_are_in_its_full_size(tmp_path):
    # 4800x3600 is above the decode size: the JPEG is decoded at half size, positions doubled back.
    symbol = code("qr", "KJP-2026-T2-000123", 24)
    photo = page((symbol, (3000, 2000)), size=(4800, 3600))
    path = tmp_path / "foto.jpg"
    path.write_bytes(encoded(photo, "JPEG", quality=85))
    [read] = scan_file(path).reads
    cx = sum(x for x, _ in read.position) / 4
    cy = sum(y for _, y in read.position) / 4
    assert abs(cx - (3000 + symbol.width / 2)) < 40
    assert abs(cy - (2000 + symbol.height / 2)) < 40


def test_the_exif_orientation_is_applied_before_positions_are_given(tmp_path):
    symbol = code("qr", "KJP-2026-T2-000123", 4)
    stored = page((symbol, (20, 30)), size=(400, 300))
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view"
    path = tmp_path / "miring.jpg"
    path.write_bytes(encoded(stored, "JPEG", quality=92, exif=exif))
    picture, factor = open_picture(path)
    assert picture.size == (300, 400) and factor == 1.0
    [read] = scan_file(path).reads
    cx = sum(x for x, _ in read.position) / 4
    # Upright, the code's left edge is 30 px from the right edge of a 300-px-wide photo.
    assert abs(cx - (300 - 30 - symbol.height / 2)) < 10
