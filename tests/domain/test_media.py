"""Which files are photos or evidence, told from their first bytes, and how many pixels each may have."""

from __future__ import annotations

import pytest

from kiosk.domain.media import (
    EVIDENCE_KINDS,
    PHOTO_KINDS,
    MediaKind,
    identify,
    pixel_limit,
    too_many_pixels,
)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", MediaKind.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\r", MediaKind.PNG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", MediaKind.WEBP),
        (b"%PDF-1.7\n%\xe2\xe3", MediaKind.PDF),
    ],
)
def test_each_accepted_kind_is_told_by_its_signature(head, kind):
    assert identify(head) is kind


@pytest.mark.parametrize(
    "head",
    [
        b"%!PS-Adobe-3.0 EPSF-3.0",  # PostScript, whatever its name says
        b"\xc5\xd0\xd3\xc6\x1e\x00\x00\x00",  # DOS EPS binary
        b"II*\x00\x08\x00\x00\x00",  # TIFF
        b"GIF89a\x01\x00\x01\x00",
        b"BM\x00\x00\x00\x00\x00\x00",
        b"<svg xmlns='http://www.w3.org/2000/svg'>",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a RIFF that is not WebP
        b"RIFF\x24\x00\x00",  # too short to say
        b"\xff\xd8",  # half a JPEG signature
        b"\x89PNG\r\n",  # half a PNG signature
        b"",
    ],
)
def test_anything_else_is_no_accepted_kind(head):
    assert identify(head) is None


def test_pdf_is_evidence_but_never_a_photo():
    assert MediaKind.PDF in EVIDENCE_KINDS and MediaKind.PDF not in PHOTO_KINDS
    assert PHOTO_KINDS < EVIDENCE_KINDS
    assert pixel_limit(MediaKind.PDF) == 0


@pytest.mark.parametrize(
    ("kind", "limit"),
    [(MediaKind.JPEG, 50_000_000), (MediaKind.PNG, 16_000_000), (MediaKind.WEBP, 16_000_000)],
)
def test_a_photo_may_have_up_to_its_kinds_pixels_and_not_one_more(kind, limit):
    assert pixel_limit(kind) == limit
    assert not too_many_pixels(kind, limit, 1)
    assert too_many_pixels(kind, limit + 1, 1)
    assert too_many_pixels(kind, 10_000, 8_000)  # 80 megapixels: no kind may have so many


@pytest.mark.parametrize(("width", "height"), [(0, 100), (100, 0), (-1, 100)])
def test_a_header_without_pixels_is_refused(width, height):
    assert too_many_pixels(MediaKind.PNG, width, height)
