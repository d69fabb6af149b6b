"""Rate limits kept in memory: a token bucket per key (an address, a name), bounded in size.

Each key may spend `burst` attempts at once and earns one back every `refill_seconds`. The
buckets live only in this process's memory and the oldest are forgotten beyond `capacity`, so a
flood of new keys costs a bounded amount of memory (and forgetting a bucket only ever gives
a key its full burst back, which the other limits still bound).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """`burst` attempts at once, then one more every `refill_seconds`."""

    burst: int
    refill_seconds: float


class RateLimiter:
    """Token buckets per key; `take(key)` spends one token or says how long to wait for one."""

    def __init__(
        self,
        rate: Rate,
        *,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, as of when
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 when `key` may go ahead now (a token is spent), else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.pop(key, (float(self.rate.burst), now))
            tokens = min(float(self.rate.burst), tokens + (now - since) / self.rate.refill_seconds)
            if tokens >= 1.0:
                tokens, wait = tokens - 1.0, 0.0
            else:
                wait = (1.0 - tokens) * self.rate.refill_seconds
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.capacity:
                self._buckets.popitem(last=False)
        return wait

    def waiting(self, key: str) -> float:
        """Like `take`, but spends nothing: for limits that count only failures."""
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.get(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - since) / self.rate.refill_seconds)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self.rate.refill_seconds

    def __len__(self) -> int:
        return len(self._buckets)
