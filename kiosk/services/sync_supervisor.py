"""Background sync as a service: one per app process, woken by each save, watched by the panels.

The supervisor owns the thread and its own database connection; screens only listen to the
monitor (what the current run is doing) and ask for a run now.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.bootstrap import Kiosk
from kiosk.errors import KioskError
from kiosk.services.sync import (
    HttpFactory,
    KeptConnection,
    RunSettings,
    SyncProgress,
    SyncReport,
    WatchPolicy,
    build_http_client,
    run_when_due,
)
from sync.watcher import SyncWatcher


@dataclass(frozen=True)
class MonitorState:
    running: bool
    progress: SyncProgress | None
    error: dict[str, Any] | None  # {"code", "params"} of the last failure, None after a good run
    last_sent: int | None


class SyncMonitor:
    """Where the current sync run stands; written from the sync thread, read by the panels.

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


@dataclass(frozen=True)
class SupervisorSettings:
    """`interval`: between runs when all is well, and about the longest wait after a failure."""

    interval: float = 60.0
    http_factory: HttpFactory = build_http_client
    run: RunSettings = field(default_factory=RunSettings)


class SyncSupervisor:
    """The process's one background sync thread, however many browser sessions are open.

    `connect` opens a connection of the supervisor's own (a SQLite connection must not carry two
    threads' transactions). Pokes that arrive while a run is under way make one more run.
    """

    def __init__(
        self,
        connect: Callable[[], Kiosk],
        settings: SupervisorSettings | None = None,
        monitor: SyncMonitor | None = None,
    ) -> None:
        self.connect = connect
        self.settings = settings or SupervisorSettings()
        self.monitor = monitor or SyncMonitor()
        self._stop = threading.Event()
        self._everything = threading.Event()  # the next run sends what is not due yet too
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._session: tuple[Kiosk, KeptConnection] | None = None
        self.watcher = SyncWatcher(
            self._run_once,
            WatchPolicy.every(self.settings.interval),
            on_report=self.monitor.finished,
            stop=self._stop,
        )

    def start(self) -> bool:
        """Start the thread unless it runs already; True when this call started it."""
        with self._lock:
            if self._thread is not None:
                return False
            self._thread = threading.Thread(
                target=self._serve, name="lengkap-background-sync", daemon=True
            )
            self._thread.start()
            return True

    def poke(self) -> None:
        """Sync soon: something was just saved."""
        self.watcher.poke()

    def sync_now(self) -> None:
        """A run at the officer's request, sending everything pending, rows not due yet included.

        With the background thread running, that thread does it at once; otherwise it runs here,
        on the caller's thread (call it from a worker thread, not the UI's).
        """
        self.monitor.started()
        if self.running:
            self._everything.set()
            self.watcher.poke()
            return
        kiosk = self.connect()
        try:
            with KeptConnection(self.settings.http_factory) as connection:
                report = run_when_due(
                    kiosk,
                    connection,
                    self.settings.run,
                    everything=True,
                    on_progress=self.monitor.progressed,
                )
            self.monitor.finished(report)
        except KioskError as exc:
            self.monitor.failed(exc)
        finally:
            kiosk.close()

    def stop(self, timeout: float = 10.0) -> None:
        self.watcher.stop()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                kiosk = self.connect()
            except KioskError as exc:  # the database cannot be opened now: say so, look again
                self.monitor.failed(exc)
                self._stop.wait(self.settings.interval)
                continue
            try:
                with KeptConnection(self.settings.http_factory) as connection:  # reused
                    self._session = (kiosk, connection)
                    self.watcher.run()
            finally:
                self._session = None
                kiosk.close()

    def _run_once(self, should_stop: Callable[[], bool]) -> SyncReport:
        assert self._session is not None  # runs only inside _serve
        kiosk, connection = self._session
        everything = self._everything.is_set()
        self._everything.clear()
        return run_when_due(
            kiosk,
            connection,
            self.settings.run,
            everything=everything,
            on_progress=self.monitor.progressed,
            should_stop=should_stop,
        )
