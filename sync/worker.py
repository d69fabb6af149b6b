"""The sync job: drain the outbox, then pull what changed, whenever the server can be reached.

Every step can be cut by a kill or a power loss and the next run loses nothing and stores nothing
twice (see sync/push.py and sync/pull.py). The device is reached only through sync/ports.py.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sync.client import SyncClient
from sync.errors import SyncAlreadyRunning, SyncError
from sync.ports import Device
from sync.pull import ChangePuller
from sync.push import RecordPusher
from sync.report import ProgressCallback, RunTally, SyncReport, error_summary
from sync.retry import Draw, RequestRetry, RetryPolicy, Sleep
from sync.run import Clock, RunContext, iso, utc_now
from sync.uploads import AttachmentUploader, UploadSettings


@dataclass(frozen=True)
class RunSettings:
    """How a run behaves, fixed for the process: retry policy, clock, sleep and random draw."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    clock: Clock = utc_now
    sleep: Sleep = time.sleep
    draw: Draw = random.random


def sync_once(
    device: Device,
    client: SyncClient,
    settings: RunSettings | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    respect_schedule: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """One full run: limits, attachments, records, then the server's changes.

    `respect_schedule` leaves rows whose retry time has not come (the background watcher);
    a person pressing "sync now" sends everything pending.
    """
    settings = settings or RunSettings()
    clock = settings.clock
    report = SyncReport(started_at=iso(clock()))
    with device.state.lock() as held:
        if not held:
            report.error = SyncAlreadyRunning("another process is syncing this device")
            report.finished_at = iso(clock())
            return report
        device.outbox.recover_interrupted()
        tally = RunTally(report, on_progress)
        retry = RequestRetry(settings.policy, settings.sleep, settings.draw, should_stop)
        schedule = iso(clock()) if respect_schedule else None
        run = RunContext(device, client, retry, tally, clock, schedule)
        pusher: RecordPusher | None = None
        try:
            limits = retry.call(client.limits)
            tally.records_total = device.outbox.count_due(schedule)
            AttachmentUploader(run, limits, settings.uploads).upload()
            pusher = RecordPusher(run, limits, compact=limits.compact_results)
            pusher.push_all()
            ChangePuller(run, limits).pull_all()
        except SyncError as exc:
            report.error = exc
            if pusher is not None:
                pusher.release_claimed(exc)
        report.pending = device.outbox.pending_count()
        report.quarantined_total = device.outbox.quarantined_count()
        report.finished_at = iso(clock())
        device.state.record_run(report.finished_at, error_summary(report.error))
    return report
