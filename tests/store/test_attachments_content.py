"""A document photo is told by its content, never its name, and its pixels are counted from its
header before anything is decoded: PostScript named .jpg never reaches Ghostscript, and an
80-megapixel PNG never costs the kiosk its memory."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib

import pytest
from PIL import EpsImagePlugin, Image, ImageFile

from kiosk.errors import ImageError
from kiosk.store.attachments import normalise_photo, prepare_photo

EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n"
    b"%%BoundingBox: 0 0 100 100\n"
    b"%%EndComments\n"
    b"newpath 0 0 moveto 100 100 lineto stroke showpage\n"
    b"%%EOF\n"
)


def png_header(width: int, height: int) -> bytes:
    """A whole, valid black-and-white PNG of `width` x `height` pixels, a few kilobytes long: what
    a decompression bomb looks like (it is all in the header how much decoding would cost)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit a pixel, grey
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    squeezer = zlib.compressobj(9)
    pixels = b"".join(squeezer.compress(row) for _ in range(height)) + squeezer.flush()
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def eps_watch(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records any use of Pillow's EPS plugin or of Ghostscript (which it would run)."""
    used: list[str] = []

    def eps_open(self: object) -> None:
        used.append("EpsImageFile._open")
        raise SyntaxError("the test does not let the EPS plugin read anything")

    def ghostscript(*args: object, **kwargs: object) -> None:
        used.append("Ghostscript")
        raise OSError("the test does not let Ghostscript run")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", eps_open)
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    return used


def test_postscript_named_jpg_is_refused_without_the_eps_plugin_or_ghostscript(eps_watch, tmp_path):
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(EPS)
    with pytest.raises(ImageError) as caught:
        prepare_photo(photo.read_bytes(), str(photo))
    assert caught.value.code == "image.unreadable"
    assert "ktp.jpg" in str(caught.value)
    assert eps_watch == []


def test_an_80_megapixel_png_is_refused_from_its_header_without_decoding(monkeypatch):
    decoded: list[str] = []
    real_load = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        decoded.append(self.format or "?")
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    with pytest.raises(ImageError) as caught:
        normalise_photo(png_header(10_000, 8_000), "kk.png")
    assert caught.value.code == "image.too_many_pixels"
    assert caught.value.params == {"width": 10_000, "height": 8_000}
    assert decoded == []


def test_refusing_an_80_megapixel_png_keeps_memory_bounded():
    # In a process of its own, so its peak memory is this refusal's alone (decoding it, as the
    # kiosk did, took hundreds of megabytes: 80 MB of pixels, three times that as RGB).
    script = (
        "import resource, sys\n"
        "from kiosk.errors import ImageError\n"
        "from kiosk.store.attachments import normalise_photo\n"
        "data = sys.stdin.buffer.read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    normalise_photo(data, 'kk.png')\n"
        "except ImageError as refused:\n"
        "    print(refused.code)\n"
        "else:\n"
        "    print('accepted')\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(after - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=png_header(10_000, 8_000),
        capture_output=True,
        timeout=120,
        check=True,
    )
    code, grown_kib = done.stdout.decode().split()
    assert code == "image.too_many_pixels"
    assert int(grown_kib) < 20 * 1024, f"peak memory grew by {grown_kib} KiB"


@pytest.mark.parametrize(("kind", "side"), [("PNG", 4001), ("WEBP", 4001)])
def test_a_png_or_webp_past_16_megapixels_is_refused_before_decoding(kind, side):
    image = Image.new("1" if kind == "PNG" else "RGB", (side, side))
    out = io.BytesIO()
    image.save(out, kind, **({"lossless": True} if kind == "WEBP" else {}))
    with pytest.raises(ImageError) as caught:
        normalise_photo(out.getvalue(), f"big.{kind.lower()}")
    assert caught.value.code == "image.too_many_pixels"


def test_a_webp_photo_is_accepted_and_stored_as_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(out, "WEBP")
    data, width, height = normalise_photo(out.getvalue(), "kk.webp")
    assert (width, height) == (640, 480)
    assert data.startswith(b"\xff\xd8\xff")
