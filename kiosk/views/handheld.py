"""Hands a handheld scanner's reads to the screen on show, from the page's keyboard events.

The page hears every key wherever the focus is, so a scan is caught even when no field (or the
wrong one) has the focus. A burst without Enter ends by going quiet, which no key reports: while
keys are held back, a small task polls the wedge.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from kiosk.services.handheld import HandheldScanner, ScannerRead

Target = Callable[[ScannerRead], Awaitable[None] | None]


class ScannerListener:
    """One per page: `on_key` goes to page.on_keyboard_event; the visible screen sets `target`."""

    def __init__(
        self,
        scanner: HandheldScanner,
        run_task: Callable[..., Any],
        update: Callable[[], Any],
    ) -> None:
        self.scanner, self.run_task, self.update = scanner, run_task, update
        self.target: Target | None = None
        self._polling = False

    async def on_key(self, event: Any) -> None:
        reads = self.scanner.key(
            event.key,
            shift=bool(event.shift),
            ctrl=bool(event.ctrl),
            alt=bool(event.alt),
            meta=bool(event.meta),
        )
        await self._deliver(reads)
        if self.scanner.pending() and not self._polling:
            self._polling = True
            self.run_task(self._poll)

    async def _poll(self) -> None:
        try:
            while self.scanner.pending():
                await asyncio.sleep(self.scanner.poll_every)
                await self._deliver(self.scanner.poll())
        finally:
            self._polling = False

    async def _deliver(self, reads: list[ScannerRead]) -> None:
        target = self.target
        if not reads or target is None:
            return
        for read in reads:
            result = target(read)
            if inspect.isawaitable(result):
                await result
        self.update()  # the poll runs outside any handler: nothing else would send the change
