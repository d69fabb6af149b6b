"""When to try again: capped exponential backoff with full jitter, a server's Retry-After as floor.

One policy for the requests of a run and for the watcher's runs, expressed as tenacity strategies:
only what may succeed later is retried, and the random draw is injected so tests can fix it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_base, wait_exception

from sync.errors import SyncError

T = TypeVar("T")
Sleep = Callable[[float], None]
Draw = Callable[[], float]  # uniform in [0, 1)


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^n))."""

    base: float
    cap: float

    def delay(self, attempt: int, draw: Draw) -> float:
        return draw() * min(self.cap, self.base * 2.0 ** max(0, attempt))

    def delay_after(self, floor: float, attempt: int, draw: Draw) -> float:
        """`floor` (a server's Retry-After) and full jitter above it: Retry-After is the earliest
        moment, never the moment, so devices told the same number do not return as one wave.
        """
        return floor + self.delay(attempt, draw)


def retry_after(error: BaseException | None) -> float | None:
    """The seconds a server asked us to wait before trying again, if it said."""
    seconds = getattr(error, "retry_after", None)
    return float(seconds) if seconds is not None else None


class wait_full_jitter(wait_base):  # named like tenacity's own strategies
    """tenacity's wait_random_exponential, with the random draw given at construction."""

    def __init__(self, backoff: Backoff, draw: Draw) -> None:
        self.backoff, self.draw = backoff, draw

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.backoff.delay(retry_state.attempt_number - 1, self.draw)


@dataclass(frozen=True)
class RetryPolicy:
    """How long one run keeps trying, and when a record the server asked to resend is due again."""

    request: Backoff = Backoff(base=1.0, cap=30.0)
    tries: int = 4  # per request within one run
    longest_wait: float = 120.0  # a longer Retry-After ends the run; the watcher comes back
    record: Backoff = Backoff(base=60.0, cap=6 * 3600.0)


@dataclass(frozen=True)
class RequestRetry:
    """Runs one request of a run, retrying what may succeed later (see RetryPolicy).

    A refusal is never retried; neither is a Retry-After longer than the run may wait, nor
    anything once `should_stop` says the run is ending.
    """

    policy: RetryPolicy = RetryPolicy()
    sleep: Sleep = time.sleep
    draw: Draw = random.random
    should_stop: Callable[[], bool] = field(default=lambda: False)

    def call(self, request: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception(self._may_succeed_later),
            stop=self._gives_up,
            wait=wait_exception(lambda error: retry_after(error) or 0.0)
            + wait_full_jitter(self.policy.request, self.draw),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(request)

    def _may_succeed_later(self, error: BaseException) -> bool:
        if not isinstance(error, SyncError) or not error.retryable:
            return False
        floor = retry_after(error)
        return floor is None or floor <= self.policy.longest_wait

    def _gives_up(self, retry_state: RetryCallState) -> bool:
        return retry_state.attempt_number >= self.policy.tries or self.should_stop()
