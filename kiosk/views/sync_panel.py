"""The sync panel: what waits, when sync last worked, progress while it runs, the last error in words.

`SyncMonitor` is what background sync writes to (from its thread) and the panel reads; it is
tested without Flet, like `panel_lines`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flet as ft

from kiosk.bootstrap import open_kiosk
from kiosk.errors import KioskError
from kiosk.services.sync import HttpFactory, SyncStatus, build_http_client, sync_now, watch
from kiosk.services.sync import sync_status as read_sync_status
from kiosk.views.shell import AppContext, Navigate, acting, heading
from sync.worker import Backoff, SyncProgress, SyncReport, SyncWatcher


@dataclass(frozen=True)
class MonitorState:
    running: bool
    progress: SyncProgress | None
    error: dict[str, Any] | None  # {"code", "params"} of the last failure, None after a good run
    last_sent: int | None


class SyncMonitor:
    """Where the current sync run stands; written from background threads, read by the panels.

    Each open screen showing the panel listens under its own key (its session's context), so
    two browser tabs each see progress and one tab leaving does not silence the other.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = MonitorState(False, None, None, None)
        self._listeners: dict[int, Callable[[], None]] = {}  # by id() of the owner

    def state(self) -> MonitorState:
        with self._lock:
            return self._state

    def listen(self, owner: object, refresh: Callable[[], None]) -> None:
        with self._lock:
            self._listeners[id(owner)] = refresh

    def forget(self, owner: object) -> None:
        with self._lock:
            self._listeners.pop(id(owner), None)

    def listeners(self) -> int:
        with self._lock:
            return len(self._listeners)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._state = MonitorState(**{**self._state.__dict__, **changes})
            listeners = list(self._listeners.values())
        for refresh in listeners:
            refresh()

    def started(self) -> None:
        self._set(running=True, progress=None)

    def progressed(self, progress: SyncProgress) -> None:
        self._set(running=True, progress=progress)

    def finished(self, report: SyncReport) -> None:
        error = None
        if report.error is not None:
            error = {"code": report.error.code, "params": dict(report.error.params)}
        self._set(running=False, error=error, last_sent=report.sent)

    def failed(self, exc: KioskError) -> None:
        self._set(running=False, error={"code": exc.code, "params": dict(exc.params)})


def run_background_sync(
    data_dir: Path,
    stop: threading.Event,
    monitor: SyncMonitor,
    *,
    interval: float = 60.0,
    http_factory: HttpFactory = build_http_client,
    on_watcher: Callable[[SyncWatcher], None] | None = None,
) -> None:
    """Sync whenever work is due until `stop`; a device not enrolled yet is asked again later.

    Retries after a failure never wait much longer than `interval` (a short interval is a
    counter that wants its records on the server soon, e.g. in a demo or a test).
    """
    backoff = Backoff(base=min(15.0, interval), cap=max(interval, min(900.0, interval * 15)))
    while not stop.is_set():
        try:
            watch(
                data_dir,
                stop,
                http_factory=http_factory,
                on_progress=monitor.progressed,
                on_report=monitor.finished,
                interval=interval,
                backoff=backoff,
                on_watcher=on_watcher,
            )
        except KioskError as exc:  # not enrolled (yet, or any more): nothing lost, try later
            monitor.failed(exc)
            stop.wait(interval)


class BackgroundSync:
    """The process's one background sync thread, however many browser sessions are open."""

    def __init__(
        self,
        monitor: SyncMonitor,
        *,
        interval: float = 60.0,
        http_factory: HttpFactory = build_http_client,
    ) -> None:
        self.monitor, self.interval, self.http_factory = monitor, interval, http_factory
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._watcher: SyncWatcher | None = None

    def start(self, data_dir: Path) -> bool:
        """Start the thread unless it runs already; True when this call started it."""
        with self._lock:
            if self._thread is not None:
                return False
            self._thread = threading.Thread(
                target=run_background_sync,
                args=(data_dir, self.stop_event, self.monitor),
                kwargs={
                    "interval": self.interval,
                    "http_factory": self.http_factory,
                    "on_watcher": self._keep_watcher,
                },
                name="lengkap-background-sync",
                daemon=True,
            )
            self._thread.start()
            return True

    def _keep_watcher(self, watcher: SyncWatcher) -> None:
        self._watcher = watcher

    def poke(self) -> None:
        """Sync soon: something was just saved."""
        watcher = self._watcher
        if watcher is not None:
            watcher.poke()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        watcher, thread = self._watcher, self._thread
        if watcher is not None:
            watcher.stop()
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def run_sync_now(
    data_dir: Path, monitor: SyncMonitor, http_factory: HttpFactory = build_http_client
) -> None:
    """One run at the officer's request, on its own connection (it runs on a worker thread)."""
    monitor.started()
    kiosk = open_kiosk(data_dir)
    try:
        monitor.finished(sync_now(kiosk, http_factory=http_factory, on_progress=monitor.progressed))
    except KioskError as exc:
        monitor.failed(exc)
    finally:
        kiosk.close()


def panel_lines(ctx: AppContext, status: SyncStatus, state: MonitorState) -> list[str]:
    """The panel's sentences: counts, last success, progress or outcome, the last error."""
    lines = [
        ctx.t("sync_panel.pending", count=status.pending),
        ctx.t("sync_panel.sent", count=status.sent),
        ctx.t("sync_panel.last_success", when=status.last_success_at)
        if status.last_success_at
        else ctx.t("sync_panel.never"),
    ]
    if state.running:
        lines.append(ctx.t("sync_panel.running"))
        if state.progress is not None:
            p = state.progress
            lines.append(
                ctx.t(
                    "sync_panel.progress",
                    records_done=p.records_done,
                    records_total=p.records_total,
                    kilobytes_done=round(p.bytes_done / 1024),
                    kilobytes_total=round(p.bytes_total / 1024),
                )
            )
    elif state.last_sent is not None and state.error is None:
        lines.append(ctx.t("sync_panel.done", sent=state.last_sent))
    error = state.error or (status.last_error if not state.running else None)
    if error:
        reason = ctx.t(error["code"], **{"server": "?", **error.get("params", {})})
        lines.append(ctx.t("sync_panel.last_error", reason=reason))
    return lines


def progress_value(state: MonitorState) -> float | None:
    """0..1 for the bar (bytes first, then records); None shows an indefinite bar."""
    p = state.progress
    if p is None:
        return None
    if p.bytes_total:
        return min(1.0, p.bytes_done / p.bytes_total)
    if p.records_total:
        return min(1.0, p.records_done / p.records_total)
    return None


def sync_panel_view(ctx: AppContext, navigate: Navigate) -> ft.Control:
    monitor: SyncMonitor = ctx.extras["sync_monitor"]
    run_thread: Callable[..., Any] = ctx.extras["run_thread"]
    http_factory: HttpFactory = ctx.extras.get("http_factory", build_http_client)
    lines = ft.Column()
    bar = ft.ProgressBar(semantics_label=ctx.t("sync_panel.progress_label"), visible=False)
    button = ft.Button(content=ctx.t("sync_panel.sync_now"), autofocus=True)

    def fill() -> None:
        state = monitor.state()
        lines.controls = [
            ft.Text(line) for line in panel_lines(ctx, read_sync_status(ctx.kiosk), state)
        ]
        bar.visible = state.running
        bar.value = progress_value(state)
        button.disabled = state.running

    def refresh() -> None:
        # Called from the sync thread: fill and push, since no handler will update the page.
        fill()
        try:
            column.update()
        except RuntimeError:  # the panel left the page between the check and the update
            monitor.forget(ctx)

    def start(_: Any) -> None:
        if not monitor.state().running:
            run_thread(run_sync_now, ctx.kiosk.data_dir, monitor, http_factory)

    button.on_click = acting(ctx, start)
    column = ft.Column([heading(ctx.t("sync_panel.heading")), lines, bar, button])
    fill()
    monitor.listen(ctx, refresh)
    return column
