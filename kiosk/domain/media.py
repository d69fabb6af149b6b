"""What a document photo or a piece of evidence may be: told from its first bytes, never its name.

Only JPEG, PNG and WebP are photos; evidence may also be a PDF, which is kept and shown as a file
and never rendered. Anything else (PostScript named .jpg, TIFF, SVG, BMP ...) is refused before an
image library looks at it, so no decoder for it (Ghostscript behind Pillow's EPS plugin, for one)
ever runs. Pixel limits are checked from the header, before a single pixel is decoded: a JPEG is
decoded scaled down (its decoder can do that), PNG and WebP are decoded whole, so they get less.
Both the kiosk and the server apply these rules.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class MediaKind(StrEnum):
    """An accepted kind of file, named by its media type."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    PDF = "application/pdf"


PHOTO_KINDS: Final = frozenset({MediaKind.JPEG, MediaKind.PNG, MediaKind.WEBP})
EVIDENCE_KINDS: Final = PHOTO_KINDS | {MediaKind.PDF}
# The name of each photo kind in Pillow, to open a file with that one decoder and no other.
PILLOW_FORMATS: Final = {MediaKind.JPEG: "JPEG", MediaKind.PNG: "PNG", MediaKind.WEBP: "WEBP"}
# Enough of the start of a file to tell its kind.
SNIFF_BYTES: Final = 12
# Most pixels a photo of each kind may declare. A 50 MP phone photo decodes at a quarter of its
# sides; a PNG or WebP is decoded at full size (16 MP as RGBA is 64 MB, already a lot on a kiosk).
MAX_PIXELS: Final = {
    MediaKind.JPEG: 50_000_000,
    MediaKind.PNG: 16_000_000,
    MediaKind.WEBP: 16_000_000,
}

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def identify(head: bytes) -> MediaKind | None:
    """The kind of a file from its first SNIFF_BYTES bytes; None when it is no accepted kind."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaKind.JPEG
    if head.startswith(_PNG_SIGNATURE):
        return MediaKind.PNG
    if len(head) >= SNIFF_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaKind.WEBP
    if head.startswith(b"%PDF-"):
        return MediaKind.PDF
    return None


def pixel_limit(kind: MediaKind) -> int:
    """The most pixels a photo of `kind` may declare; 0 for a kind that is never decoded."""
    return MAX_PIXELS.get(kind, 0)


def too_many_pixels(kind: MediaKind, width: int, height: int) -> bool:
    """True when a photo's header declares more pixels than its kind may have (or none)."""
    return width <= 0 or height <= 0 or width * height > pixel_limit(kind)
