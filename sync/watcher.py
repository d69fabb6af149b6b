"""Runs a sync whenever work may be due, until stopped: `kiosk sync --watch` and the app's supervisor.

A failed run that may pass later is tried again by tenacity, waiting longer each time (full jitter,
capped, at least the server's Retry-After); after a good run it waits `interval`. `poke()` wakes it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tenacity import RetryCallState, Retrying, retry_if_result
from tenacity.wait import wait_base

from sync.errors import NotEnrolled, SyncAlreadyRunning
from sync.report import SyncReport
from sync.retry import Backoff, Draw, retry_after

RunOnce = Callable[[Callable[[], bool]], SyncReport]  # given "should I stop?", runs once


@dataclass(frozen=True)
class WatchPolicy:
    """How long the watcher waits between runs."""

    interval: float = 60.0
    backoff: Backoff = field(default_factory=lambda: Backoff(base=15.0, cap=900.0))
    minimum_wait: float = 1.0

    @classmethod
    def every(cls, interval: float) -> WatchPolicy:
        """Retries after a failure never wait much longer than `interval` (a short interval is a
        counter that wants its records on the server soon, e.g. in a demo or a test)."""
        cap = max(interval, min(900.0, interval * 15))
        return cls(interval=interval, backoff=Backoff(base=min(15.0, interval), cap=cap))

    def wait_after(self, report: SyncReport, failures: int, draw: Draw) -> float:
        """The wait after the `failures`-th run in a row that failed (0: the run went well)."""
        error = report.error
        if failures == 0 or error is None:
            return self.interval
        if not error.retryable:  # revoked, protocol: a person must act; look again rarely
            return self.backoff.cap
        floor = retry_after(error)
        if floor is None:
            wait = self.backoff.delay(failures - 1, draw)
        else:
            wait = self.backoff.delay_after(floor, failures - 1, draw)
        return max(self.minimum_wait, wait)


def is_failure(report: SyncReport) -> bool:
    """A run that ended on an error worth backing off from; another process syncing, or a device
    not enrolled yet, is just looked at again after the interval."""
    return report.error is not None and not isinstance(
        report.error, (SyncAlreadyRunning, NotEnrolled)
    )


class _wait_after_failure(wait_base):  # named like tenacity's own strategies
    def __init__(self, policy: WatchPolicy, draw: Draw) -> None:
        self.policy, self.draw = policy, draw

    def __call__(self, retry_state: RetryCallState) -> float:
        assert retry_state.outcome is not None  # tenacity waits only after an outcome
        report: SyncReport = retry_state.outcome.result()
        return self.policy.wait_after(report, retry_state.attempt_number, self.draw)


class SyncWatcher:
    """Runs `run_once` until stopped, backing off while runs fail; see the module docstring."""

    def __init__(
        self,
        run_once: RunOnce,
        policy: WatchPolicy | None = None,
        *,
        draw: Draw = random.random,
        on_report: Callable[[SyncReport], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._run_once, self.policy, self._draw = run_once, policy or WatchPolicy(), draw
        self._on_report = on_report
        self._stop = stop or threading.Event()
        self._wake = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def poke(self) -> None:
        """Run soon; pokes that come while a run is under way make one more run, not one each."""
        self._wake.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def poked(self) -> bool:
        """A run was asked for and has not started yet."""
        return self._wake.is_set()

    def run(self) -> None:
        while not self._stop.is_set():
            retrying = Retrying(
                retry=retry_if_result(is_failure),
                wait=_wait_after_failure(self.policy, self._draw),
                stop=lambda _: self._stop.is_set(),
                sleep=self.pause,
                retry_error_callback=lambda state: None,  # stopped while failing: just end
            )
            retrying(self._once)
            self.pause(self.policy.interval)

    def _once(self) -> SyncReport:
        self._wake.clear()
        report = self._run_once(self._stop.is_set)
        if self._on_report:
            self._on_report(report)
        return report

    def pause(self, seconds: float) -> None:
        """Wait up to `seconds`, less when poked or stopped. The stop event is looked at each
        second too, so an external stop Event works even when nobody calls stop()."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and not self._wake.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake.wait(min(remaining, 1.0))
