"""Reading codes from a live camera: a code counts only when consecutive frames agree on it.

One frame can misread a damaged symbol or catch it half out of view; requiring the same format and
the same bytes in two consecutive frames costs one frame (about 70 ms at 15 fps) and removes such
one-frame accidents before a form is filled from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kiosk.scan.decode import DEFAULT_PIPELINE, CodeRead, Step, decode_picture

ReadKey = tuple[str, bytes]  # (format, raw): two reads are identical when both agree
# A camera delivers the next frame anyway, so a frame gets no later steps after 50 ms. Measured
# on the benchmark corpus (seed 1): 87.1 % of codes read per frame instead of 90.6 %, and a p95
# of 92 ms per frame instead of 383 (frames without a code no longer run the whole pipeline).
LIVE_BUDGET_MS = 50.0


class LiveReader:
    """Feed frames in order; `feed` returns the reads confirmed by this frame.

    A read is confirmed when `required` consecutive frames (default 2) contain it; a frame without
    it, or with a different payload, starts the count again. A confirmed code is returned once
    and not again while it stays in view; after it leaves the view it must be confirmed anew.
    Several codes in one frame are tracked independently.
    """

    def __init__(
        self,
        *,
        required: int = 2,
        pipeline: Iterable[Step] = DEFAULT_PIPELINE,
        budget_ms: float | None = LIVE_BUDGET_MS,
        decoder: Callable[..., list[CodeRead]] = decode_picture,
    ) -> None:
        if required < 1:
            raise ValueError("required must be at least 1")
        self.required = required
        self._pipeline = tuple(pipeline)
        self._budget_ms = budget_ms
        self._decoder = decoder
        self._streaks: dict[ReadKey, int] = {}
        self._confirmed: set[ReadKey] = set()

    def feed(self, frame: Any) -> list[CodeRead]:
        """Decode one camera frame (PIL image or numpy array) and return newly confirmed reads."""
        reads = self._decoder(frame, pipeline=self._pipeline, budget_ms=self._budget_ms)
        return self.feed_reads(reads)

    def feed_reads(self, reads: Sequence[CodeRead]) -> list[CodeRead]:
        """The same bookkeeping for reads decoded elsewhere (a worker thread, a test)."""
        streaks: dict[ReadKey, int] = {}
        newly: list[CodeRead] = []
        for read in reads:
            key = (read.format, read.raw)
            if key in streaks:  # the same payload twice in one frame is one sighting
                continue
            streaks[key] = self._streaks.get(key, 0) + 1
            if streaks[key] >= self.required and key not in self._confirmed:
                self._confirmed.add(key)
                newly.append(read)
        self._streaks = streaks
        self._confirmed &= set(streaks)  # out of view: must be confirmed again
        return newly

    def pending(self) -> list[ReadKey]:
        """Codes seen in the last frame but not yet confirmed (a screen can say "hold still")."""
        return [key for key in self._streaks if key not in self._confirmed]

    def reset(self) -> None:
        """Forget every sighting, e.g. when the officer starts a new scan."""
        self._streaks.clear()
        self._confirmed.clear()
