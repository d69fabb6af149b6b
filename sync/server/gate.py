"""A bounded gate around ingest: a short, bounded wait for a slot, then 429 with Retry-After.

Queueing without bound is how servers fall over on disbursement days; a device that is told
"later" retries with backoff. The gate holds validation and database work, the costly part.

Three things keep refused devices from coming back in waves and the server busy meanwhile:

- a push that finds every slot taken waits up to `max_wait` seconds, first come first served, in a
  queue of at most `max_waiting`; under load a slot frees every few tens of milliseconds, so most
  are served without another round trip;
- `reserved()` lets a handler refuse before authenticating and reading a body when the line is
  full, so a refusal costs almost nothing; only admitted work counts, never a body still
  arriving (a slow sender must not hold the gate), and `DeviceTurns` bounds how many requests
  one device has in flight;
- Retry-After grows with the load: each refused push is booked a push's worth of time after the
  one refused before it, behind the queue, at the pace the gate has been serving; the device
  adds jitter above it.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

from sync.protocol import ErrorCode
from sync.server.errors import RequestError

_FIRST_HOLD_GUESS = 0.25
_HOLD_SMOOTHING = 0.2  # weight of the newest hold time in its moving average


class Gate:
    """At most `size` holders at once; thread-safe, so tests and workers can share it.

    `retry_after` is the shortest Retry-After said, `longest_retry_after` the longest.
    """

    def __init__(
        self,
        size: int,
        retry_after: float,
        *,
        max_wait: float = 1.0,
        max_waiting: int | None = None,
        longest_retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.retry_after = retry_after
        self.max_wait = max_wait
        self.max_waiting = 4 * size if max_waiting is None else max_waiting
        self.longest_retry_after = max(longest_retry_after, retry_after)
        self._clock = clock
        self._lock = threading.Lock()
        self._held = 0
        self._waiters: deque[_Waiter] = deque()
        self._booked = 0.0  # when the last refused push was told to come back
        # Moving average of how long a holder keeps its slot; until one is measured, a guess
        # (a 100-record push on the 2-core machine, with the gate full) that a burst at start-up
        # is spread out too.
        self._hold_seconds = _FIRST_HOLD_GUESS
        self._served = 0

    # -- entering ---------------------------------------------------------------------------

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """A slot now, or 429 at once (for callers that must not wait)."""
        if not self._try_take():
            raise self.refusal()
        started = self._clock()
        try:
            yield
        finally:
            self._give_back(started)

    @asynccontextmanager
    async def entered(self, ticket: Ticket | None = None) -> AsyncIterator[None]:
        """A slot, waiting up to `max_wait` for one when the queue has room; else 429."""
        self._use(ticket)  # from here the request is counted as holding or waiting
        if not self._try_take() and not await self._wait_for_slot():
            raise self.refusal()
        started = self._clock()
        try:
            yield
        finally:
            self._give_back(started)

    @contextmanager
    def reserved(self) -> Iterator[Ticket]:
        """A place in line, taken before the credential and the body are read; 429 at once when
        admitted work (requests holding a slot or waiting for one) fills the slots and the queue.

        So a burst of devices is answered "later" for almost nothing, instead of each being
        authenticated and read only to be refused at the gate. Requests still reading their
        bodies are not counted: a client trickling its body a byte at a time would otherwise
        keep every other device out. Their number is bounded per device (`DeviceTurns`) and
        their time by the body's pace (sync/server/body.py). `entered(ticket)` uses it up.
        """
        ticket = Ticket()
        with self._lock:
            in_line = self._held + len(self._waiters)
            ticket.valid = in_line < self.size + self.max_waiting
        if not ticket.valid:
            raise self.refusal()
        try:
            yield ticket
        finally:
            self._use(ticket)

    def _use(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            ticket.valid = False

    def refusal(self) -> RequestError:
        """The 429 for a push refused now, with a Retry-After that fits the current load.

        Refused pushes are booked one after another behind the queue, each a push's worth of
        time (at the pace the gate has been serving them) after the last: those refused together
        come back spread over the time the gate needs for them, not as one wave.
        """
        now = self._clock()
        with self._lock:
            pace = self._hold_seconds / self.size  # seconds per push at full load
            behind_queue = now + len(self._waiters) * pace
            booked = max(self._booked, behind_queue) + pace
            self._booked = min(booked, now + self.longest_retry_after)
            ahead = self._booked - now
        seconds = min(self.longest_retry_after, max(self.retry_after, float(math.ceil(ahead))))
        return RequestError(ErrorCode.OVERLOADED, "gate full", retry_after=seconds)

    # -- the slots ----------------------------------------------------------------------------

    def _try_take(self) -> bool:
        with self._lock:
            if self._held >= self.size:
                return False
            self._held += 1
            return True

    async def _wait_for_slot(self) -> bool:
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop, loop.create_future())
        with self._lock:
            if self._held < self.size:  # freed since we looked
                self._held += 1
                return True
            if len(self._waiters) >= self.max_waiting or self.max_wait <= 0:
                return False
            self._waiters.append(waiter)
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter.future), self.max_wait)
        except BaseException:
            # Cancelled while in line (the server stopping): leave the line, and pass on a slot
            # that may have been handed over just now, so it is never lost.
            with self._lock:
                granted = waiter.granted
                if not granted:
                    self._waiters.remove(waiter)
            if granted:
                self._give_back(self._clock())
            raise
        with self._lock:
            if waiter.granted:  # handed a slot, perhaps just as the wait ran out
                return True
            self._waiters.remove(waiter)
            return False

    def _give_back(self, started: float) -> None:
        held_for = max(0.0, self._clock() - started)
        with self._lock:
            weight = _HOLD_SMOOTHING if self._served else 1.0  # the first sets the average
            self._hold_seconds += weight * (held_for - self._hold_seconds)
            self._served += 1
            if not self._waiters:
                self._held -= 1
                return
            # The slot passes straight to the longest waiter: first come, first served.
            waiter = self._waiters.popleft()
            waiter.granted = True
        waiter.loop.call_soon_threadsafe(_wake, waiter.future)


class DeviceTurns:
    """At most `per_device` requests of one device in flight at once, body reading included;
    the next is answered 429 too_many_requests with Retry-After.

    One credential then cannot hold more than a few connections, however slowly it sends, and
    the devices that share the server keep their turns. Thread-safe.
    """

    def __init__(self, per_device: int, retry_after: float) -> None:
        self.per_device = per_device
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._in_flight: dict[int, int] = {}

    def in_flight(self, device_id: int) -> int:
        with self._lock:
            return self._in_flight.get(device_id, 0)

    @contextmanager
    def taken(self, device_id: int) -> Iterator[None]:
        with self._lock:
            running = self._in_flight.get(device_id, 0)
            if running >= self.per_device:
                raise RequestError(
                    ErrorCode.TOO_MANY_REQUESTS,
                    "device busy",
                    retry_after=self.retry_after,
                    limit=self.per_device,
                )
            self._in_flight[device_id] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._in_flight[device_id] - 1
                if left:
                    self._in_flight[device_id] = left
                else:
                    del self._in_flight[device_id]


class Ticket:
    """A request's place in line between `Gate.reserved()` and `Gate.entered()`."""

    def __init__(self) -> None:
        self.valid = False


class _Waiter:
    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        self.loop = loop
        self.future = future
        self.granted = False


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
