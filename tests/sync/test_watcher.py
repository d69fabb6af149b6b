"""The background watcher: syncs until stopped, waiting longer while the server stays away."""

from __future__ import annotations

import threading

from sync.errors import AuthRejected, NotEnrolled, ServerBusy, SyncAlreadyRunning, Unreachable
from sync.report import SyncReport
from sync.retry import Backoff
from sync.watcher import SyncWatcher, WatchPolicy, is_failure


def _report(error=None) -> SyncReport:
    report = SyncReport(started_at="2026-08-03T03:00:00+00:00")
    report.error = error
    return report


def _waits(policy: WatchPolicy, reports: list[SyncReport], draw=lambda: 1.0) -> list[float]:
    """The watcher's waits after each report, counting failures in a row as the watcher does."""
    waits, failures = [], 0
    for report in reports:
        failures = failures + 1 if is_failure(report) else 0
        waits.append(policy.wait_after(report, failures, draw))
    return waits


def test_after_a_good_run_the_watcher_waits_the_interval():
    assert _waits(WatchPolicy(interval=60), [_report()]) == [60]


def test_while_the_server_is_away_the_waits_grow_with_full_jitter_up_to_the_cap():
    policy = WatchPolicy(interval=60, backoff=Backoff(base=15, cap=100))
    down = [_report(Unreachable("down")) for _ in range(5)]
    assert _waits(policy, [*down, _report()]) == [15, 30, 60, 100, 100, 60]


def test_a_jittered_wait_is_never_shorter_than_the_floor_nor_the_retry_after():
    policy = WatchPolicy(minimum_wait=2.0)
    assert policy.wait_after(_report(Unreachable("down")), 1, lambda: 0.0) == 2.0
    assert policy.wait_after(_report(ServerBusy("busy", retry_after=40)), 1, lambda: 0.0) == 40


def test_a_device_that_a_person_must_fix_is_looked_at_only_rarely():
    policy = WatchPolicy(backoff=Backoff(base=15, cap=900))
    assert _waits(policy, [_report(AuthRejected("no", reason="revoked"))]) == [900]


def test_another_process_syncing_or_no_enrollment_yet_is_not_a_failure():
    policy = WatchPolicy(interval=60)
    reports = [_report(SyncAlreadyRunning("busy")), _report(NotEnrolled("not yet"))]
    assert _waits(policy, reports) == [60, 60]


def test_a_short_interval_keeps_the_retries_short_too():
    policy = WatchPolicy.every(1.0)
    assert policy.backoff == Backoff(base=1.0, cap=15.0)
    assert _waits(policy, [_report(Unreachable("down"))] * 6) == [1, 2, 4, 8, 15, 15]


def test_the_watcher_backs_off_between_failed_runs_and_waits_the_interval_after_a_good_one():
    outcomes = [Unreachable("down"), ServerBusy("busy", retry_after=5), None]
    stop = threading.Event()
    pauses: list[float] = []

    def run_once(should_stop):
        error = outcomes.pop(0)
        return _report(error)

    policy = WatchPolicy(interval=60, backoff=Backoff(base=2, cap=100))
    watcher = SyncWatcher(run_once, policy, draw=lambda: 0.5, stop=stop)

    def pause(seconds):
        pauses.append(seconds)
        if not outcomes:
            stop.set()

    watcher.pause = pause
    watcher.run()
    # 0.5 × 2, then Retry-After 5 + 0.5 × 4, then the interval after the good run
    assert pauses == [1.0, 7.0, 60]


def test_the_watcher_runs_until_its_stop_event_is_set():
    stop = threading.Event()
    runs: list[SyncReport] = []

    def run_once(should_stop):
        assert not should_stop()
        return _report()

    def on_report(report):
        runs.append(report)
        if len(runs) == 3:
            stop.set()

    watcher = SyncWatcher(run_once, WatchPolicy(interval=0.01), on_report=on_report, stop=stop)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(runs) == 3


def test_a_poke_wakes_the_watcher_before_its_interval():
    runs: list[SyncReport] = []
    watcher = SyncWatcher(lambda s: _report(), WatchPolicy(interval=3600), on_report=runs.append)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        for expected in (1, 2):
            _wait_until(lambda n=expected: len(runs) >= n)
            if expected == 1:
                watcher.poke()
    finally:
        watcher.stop()
        thread.join(timeout=10)
    assert len(runs) == 2 and not thread.is_alive()


def test_pokes_during_a_run_make_one_more_run_not_one_each():
    release, started = threading.Event(), threading.Event()
    runs: list[SyncReport] = []

    def run_once(should_stop):
        started.set()
        release.wait(10)
        return _report()

    watcher = SyncWatcher(run_once, WatchPolicy(interval=3600), on_report=runs.append)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        assert started.wait(10)
        for _ in range(5):
            watcher.poke()
        release.set()
        _wait_until(lambda: len(runs) >= 2)
        # The second run cleared the pokes: the watcher now waits its hour.
        assert not watcher.poked
        threading.Event().wait(0.2)
        assert len(runs) == 2
    finally:
        watcher.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _wait_until(condition, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("timed out")
