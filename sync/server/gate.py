"""A bounded gate around ingest: when it is full the answer is 429 with Retry-After, at once.

Queueing without bound is how servers fall over on disbursement days; a device that is told
"later" retries with backoff. The gate holds validation and database work, the costly part.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sync.protocol import ErrorCode
from sync.server.errors import RequestError


class Gate:
    """At most `size` holders at once; thread-safe, so tests and workers can share it."""

    def __init__(self, size: int, retry_after: float) -> None:
        self.size = size
        self.retry_after = retry_after
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def admitted(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            raise RequestError(ErrorCode.OVERLOADED, "gate full", retry_after=self.retry_after)
        try:
            yield
        finally:
            self._slots.release()
