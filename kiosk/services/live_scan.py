"""Reading a code from the live camera: frames in, a payload out once two frames agree on it.

The app's camera gives still pictures; taken every few hundred milliseconds they are a (slow)
stream of frames for kiosk.scan.live's LiveReader, so a one-frame misread never fills a form.
Decoding is split from confirming: `decode` touches no database and may run on a worker thread,
`confirm` classifies with this kiosk's keys on the caller's thread.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from kiosk.bootstrap import Kiosk
from kiosk.domain.payloads import Payload
from kiosk.scan.decode import DEFAULT_PIPELINE, CodeRead, decode_picture
from kiosk.scan.live import LIVE_BUDGET_MS, LiveReader
from kiosk.scan.preprocess import MAX_PIXELS
from kiosk.services.scanning import classify_code

FRAME_FORMATS = ("JPEG", "PNG", "WEBP")
FRAME_SIDE = 1600  # camera frames are decoded at most this size: the code fills much of them


def frame_picture(data: bytes) -> Image.Image | None:
    """The camera's frame as a grey picture; None for a frame that cannot be used (a glitch:
    the next frame is a new chance, so it is skipped rather than reported)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FRAME_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                return None
            image.draft("L", (FRAME_SIDE, FRAME_SIDE))
            return image.convert("L")
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None
    except Image.DecompressionBombWarning:
        return None


class LiveScan:
    """One camera scan: feed the frames in order; `confirm` gives payloads confirmed by a frame."""

    def __init__(self, kiosk: Kiosk, reader: LiveReader | None = None) -> None:
        self.kiosk = kiosk
        self.reader = reader or LiveReader()

    @staticmethod
    def decode(data: bytes) -> list[CodeRead]:
        """The codes in one frame (JPEG bytes); safe on a worker thread."""
        picture = frame_picture(data)
        if picture is None:
            return []
        with picture:
            return decode_picture(picture, pipeline=DEFAULT_PIPELINE, budget_ms=LIVE_BUDGET_MS)

    def confirm(self, reads: list[CodeRead]) -> list[Payload]:
        """This frame's reads; a code counts once two consecutive frames read it identically."""
        return [classify_code(self.kiosk, read) for read in self.reader.feed_reads(reads)]

    def seen(self) -> bool:
        """A code is in view but not yet confirmed: the screen says "hold still"."""
        return bool(self.reader.pending())
