"""What an uploaded attachment may be, checked from its first bytes before any of it is kept.

The kinds and pixel limits are the domain's (kiosk/domain/media.py), so the kiosk and the server
agree. Photos are looked at through Pillow restricted to the one decoder of their kind, and only
their header is read (the server never decodes a photo); a PDF is checked by its signature alone
and never opened at all.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from kiosk.domain import media
from sync.protocol import ErrorCode
from sync.server.errors import RequestError


def check_head(head: bytes) -> media.MediaKind:
    """The kind of an attachment from its first bytes (the first chunk, or the whole file).

    415 unsupported_media for anything but JPEG, PNG, WebP or PDF, or a photo whose header is
    not within `head`; 422 too_many_pixels when the header declares more than its kind may have.
    """
    kind = media.identify(head[: media.SNIFF_BYTES])
    if kind is None or kind not in media.EVIDENCE_KINDS:
        raise RequestError(ErrorCode.UNSUPPORTED_MEDIA, "content")
    if kind not in media.PHOTO_KINDS:
        return kind  # a PDF: kept as a file, never parsed or rendered here
    size = _declared_size(head, kind)
    if size is None or media.too_many_pixels(kind, *size):
        width, height = size or ("?", "?")
        raise RequestError(
            ErrorCode.TOO_MANY_PIXELS,
            "pixels",
            width=width,
            height=height,
            limit=media.pixel_limit(kind) // 1_000_000,
        )
    return kind


def _declared_size(head: bytes, kind: media.MediaKind) -> tuple[int, int] | None:
    """Width and height from the header; None when Pillow itself calls it a bomb."""
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: our limit, lower, is checked by the caller.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(head), formats=[media.PILLOW_FORMATS[kind]]) as image:
                width, height = image.size
                return width, height
    except Image.DecompressionBombError:
        return None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise RequestError(ErrorCode.UNSUPPORTED_MEDIA, "header") from None
