"""Photo bytes for upload tests: a real JPEG (what a kiosk sends), padded to the size a test needs.

The server reads a photo's header to check what it is; the padding after the JPEG's end marker
is never decoded, so any size from a few hundred bytes up is cheap to make.
"""

from __future__ import annotations

import hashlib
import io
import os

from PIL import Image


def _small(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB" if kind == "JPEG" else "L", (8, 8) if kind == "JPEG" else (1, 1)).save(
        out, kind
    )
    return out.getvalue()


SMALL_JPEG = _small("JPEG")
TINY_PNG = _small("PNG")  # 67 bytes


def jpeg_photo(size: int) -> tuple[bytes, str]:
    """`size` bytes that open as a JPEG, unique to this call, and their SHA-256."""
    if size < len(SMALL_JPEG):
        raise ValueError(f"a photo here has at least {len(SMALL_JPEG)} bytes")
    data = SMALL_JPEG + os.urandom(size - len(SMALL_JPEG))
    return data, hashlib.sha256(data).hexdigest()


def padded_photo(size: int) -> tuple[bytes, str]:
    """`size` bytes that open as a (1-pixel) PNG, and their SHA-256; below the PNG's own size,
    random bytes, for requests refused before their content is looked at."""
    padding = os.urandom(max(0, size - len(TINY_PNG)))
    data = os.urandom(size) if size < len(TINY_PNG) else TINY_PNG + padding
    return data, hashlib.sha256(data).hexdigest()
