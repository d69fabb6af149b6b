"""Document photos: upright, stripped of EXIF and GPS, at most 2048 px, stored once."""

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from kiosk.errors import ImageError
from kiosk.store.attachments import (
    keep_photo,
    normalise_photo,
    photo_path,
    prepare_photo,
    sweep_orphan_photos,
)
from tests.support.images import GPS_IFD, document_photo

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def store_photo(db, data_dir, data, source, at):
    """Prepare and keep a photo, as a submission does for each of its photos."""
    return keep_photo(db, data_dir, prepare_photo(data, source), at)[0]


def test_a_rotated_phone_photo_is_turned_upright_and_loses_all_exif():
    # Orientation 6: the camera was turned; the stored pixels are landscape, shown portrait.
    raw = document_photo(1200, 800, orientation=6)
    data, width, height = normalise_photo(raw)
    image = Image.open(io.BytesIO(data))
    assert (width, height) == (800, 1200) == image.size
    exif = image.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in data


def test_a_large_photo_is_scaled_so_its_longest_side_is_2048():
    data, width, height = normalise_photo(document_photo(4000, 3000))
    assert max(width, height) == 2048
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_a_small_photo_keeps_its_size():
    _, width, height = normalise_photo(document_photo(640, 480, gps=False))
    assert (width, height) == (640, 480)


def test_a_transparent_png_becomes_a_white_background_jpeg():
    image = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    data, _, _ = normalise_photo(out.getvalue())
    assert Image.open(io.BytesIO(data)).getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=2)


def test_the_same_photo_is_stored_once(fresh_db, tmp_path):
    raw = document_photo()
    first = store_photo(fresh_db, tmp_path, raw, "kk.jpg", NOW)
    second = store_photo(fresh_db, tmp_path, raw, "kk-again.jpg", NOW)
    assert first.sha256 == second.sha256
    assert fresh_db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 1
    files = list((tmp_path / "attachments").rglob("*.jpg"))
    assert files == [photo_path(tmp_path, first.sha256)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "image.empty"),
        (b"GIF89a not really", "image.unreadable"),
        (b"plain text, not an image at all", "image.unreadable"),
    ],
)
def test_unusable_files_get_a_clear_error_naming_the_file(data, code):
    with pytest.raises(ImageError) as caught:
        normalise_photo(data, "ktp.jpg")
    assert caught.value.code == code
    assert "ktp.jpg" in str(caught.value)


def test_a_truncated_jpeg_is_reported_as_damaged():
    raw = document_photo()
    with pytest.raises(ImageError) as caught:
        normalise_photo(raw[: len(raw) // 2], "kk.jpg")
    assert caught.value.code == "image.damaged"


def test_a_huge_image_is_refused_before_it_is_decoded():
    # 20000 x 20000 PNG: the header alone says it is too big; decoding would need 1.2 GB.
    image = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    image.save(out, "PNG")
    with pytest.raises(ImageError) as caught:
        normalise_photo(out.getvalue(), "huge.png")
    assert caught.value.code == "image.too_many_pixels"


def _age(path, hours):
    then = (NOW - timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_the_sweep_removes_old_unregistered_photos_and_half_written_files_only(fresh_db, tmp_path):
    kept = store_photo(fresh_db, tmp_path, document_photo(), "kk.jpg", NOW).path
    orphan = photo_path(tmp_path, "ab" + "0" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by a crash")
    half = kept.parent / ".incoming-x1"
    half.write_bytes(b"half a photo")
    young = photo_path(tmp_path, "cd" + "0" * 62)
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(b"another process is saving it now")
    for path in (kept, orphan, half):
        _age(path, hours=3)
    _age(young, hours=0)

    removed = sweep_orphan_photos(fresh_db, tmp_path, older_than=NOW - timedelta(hours=1))

    assert removed == 2
    assert kept.exists() and young.exists()
    assert not orphan.exists() and not half.exists()


def test_the_sweep_of_a_device_without_photos_does_nothing(fresh_db, tmp_path):
    assert sweep_orphan_photos(fresh_db, tmp_path, older_than=NOW) == 0
