"""Background sync as a service: one thread on its own connection, woken by saves, watched by panels."""

from __future__ import annotations

import threading

import pytest

from kiosk.bootstrap import open_kiosk
from kiosk.services.sync import enroll_device
from kiosk.services.sync_supervisor import SupervisorSettings, SyncSupervisor
from kiosk.store import outbox
from tests.sync.fake_server import BASE_URL, FakeServer

HOUR = 3600.0  # long enough that only a poke or "sync now" can explain a second run


@pytest.fixture
def enrolled(kiosk, server: FakeServer):
    enroll_device(kiosk, BASE_URL, "ENROLL-1234", http_factory=server.http)
    return kiosk


@pytest.fixture
def supervisor(enrolled, server: FakeServer):
    folder = enrolled.data_dir
    settings = SupervisorSettings(interval=HOUR, http_factory=server.http)
    supervisor = SyncSupervisor(lambda: open_kiosk(folder), settings)
    yield supervisor
    supervisor.stop()
    assert not supervisor.running


def _wait_until(condition, timeout: float = 20.0) -> None:
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        pause.wait(0.02)
    raise AssertionError("timed out")


def _first_run_done(supervisor: SyncSupervisor) -> None:
    _wait_until(lambda: supervisor.monitor.state().last_sent is not None)


def test_a_poke_after_a_save_sends_the_record_long_before_the_interval(supervisor, server, submit):
    assert supervisor.start()
    _first_run_done(supervisor)
    client_id = submit()
    supervisor.poke()
    _wait_until(lambda: client_id in server.records)
    _wait_until(lambda: not supervisor.monitor.state().running)
    assert supervisor.monitor.state().error is None


def test_sync_now_with_the_thread_running_sends_what_is_not_due_yet_on_that_thread(
    supervisor, server, submit, enrolled
):
    client_id = submit()
    (row,) = outbox.due_rows(enrolled.db)
    outbox.retry_later(
        enrolled.db, [row.seq], code="overloaded", message=None, at="", next_attempt_at="2099"
    )
    supervisor.start()
    _first_run_done(supervisor)
    assert client_id not in server.records  # the background run leaves it for later
    senders = []
    monitor = supervisor.monitor
    monitor.listen(senders, lambda: senders.append(threading.current_thread().name))
    supervisor.sync_now()  # returns at once: the background thread does the run
    _wait_until(lambda: client_id in server.records)
    _wait_until(lambda: not monitor.state().running)
    assert senders[0] == threading.current_thread().name  # "started", said at once
    assert set(senders[1:]) == {"lengkap-background-sync"}


def test_sync_now_without_the_thread_runs_here_and_tells_the_listeners(supervisor, server, submit):
    heard = []
    supervisor.monitor.listen(heard, lambda: heard.append(supervisor.monitor.state()))
    client_id = submit()
    supervisor.sync_now()
    assert client_id in server.records and not supervisor.running
    assert heard[0].running and not heard[-1].running
    assert heard[-1].last_sent == 1 and heard[-1].error is None
    assert any(state.progress is not None for state in heard)


def test_a_run_that_fails_is_told_to_the_listeners_as_a_code(supervisor, server):
    server.revoked = True
    supervisor.sync_now()
    state = supervisor.monitor.state()
    assert not state.running and state.error["code"] == "sync.revoked_device"
