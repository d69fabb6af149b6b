"""The background watcher: syncs until stopped, waiting longer while the server stays away."""

from __future__ import annotations

import threading

from sync.errors import AuthRejected, ServerBusy, SyncAlreadyRunning, Unreachable
from sync.worker import Backoff, SyncReport, SyncWatcher, run_watch


def _report(error=None) -> SyncReport:
    report = SyncReport(started_at="2026-08-03T03:00:00+00:00")
    report.error = error
    return report


def _watcher(**options) -> SyncWatcher:
    return SyncWatcher(lambda should_stop: _report(), draw=lambda: 1.0, **options)


def test_after_a_good_run_the_watcher_waits_the_interval():
    assert _watcher(interval=60).next_wait(_report()) == 60


def test_while_the_server_is_away_the_waits_grow_with_full_jitter_up_to_the_cap():
    watcher = _watcher(backoff=Backoff(base=15, cap=100))
    waits = [watcher.next_wait(_report(Unreachable("down"))) for _ in range(5)]
    assert waits == [15, 30, 60, 100, 100]
    assert watcher.next_wait(_report()) == 60 and watcher.failures == 0


def test_a_jittered_wait_is_never_shorter_than_the_floor_nor_the_retry_after():
    watcher = SyncWatcher(lambda s: _report(), draw=lambda: 0.0, minimum_wait=2.0)
    assert watcher.next_wait(_report(Unreachable("down"))) == 2.0
    assert watcher.next_wait(_report(ServerBusy("busy", retry_after=40))) == 40


def test_a_device_that_a_person_must_fix_is_looked_at_only_rarely():
    watcher = _watcher(backoff=Backoff(base=15, cap=900))
    assert watcher.next_wait(_report(AuthRejected("no", reason="revoked"))) == 900


def test_another_process_syncing_is_not_a_failure():
    watcher = _watcher(interval=60)
    assert watcher.next_wait(_report(SyncAlreadyRunning("busy"))) == 60


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

    thread = threading.Thread(
        target=run_watch, args=(run_once, stop), kwargs={"interval": 0.01, "on_report": on_report}
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(runs) == 3


def test_a_poke_wakes_the_watcher_before_its_interval():
    runs: list[SyncReport] = []
    watcher = SyncWatcher(lambda s: _report(), interval=3600, on_report=runs.append)
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


def _wait_until(condition, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("timed out")
