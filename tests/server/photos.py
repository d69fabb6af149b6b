"""Photo bytes for upload tests: a real JPEG (what a kiosk sends), padded to the size a test needs.

The server reads a photo's header to check what it is; the padding after the JPEG's end marker
is never decoded, so any size from a few hundred bytes up is cheap to make.
"""

from __future__ import annotations

import hashlib
import io
import os

from PIL import Image


def _small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG", quality=50)
    return out.getvalue()


SMALL_JPEG = _small_jpeg()


def jpeg_photo(size: int) -> tuple[bytes, str]:
    """`size` bytes that open as a JPEG, unique to this call, and their SHA-256."""
    if size < len(SMALL_JPEG):
        raise ValueError(f"a photo here has at least {len(SMALL_JPEG)} bytes")
    data = SMALL_JPEG + os.urandom(size - len(SMALL_JPEG))
    return data, hashlib.sha256(data).hexdigest()
