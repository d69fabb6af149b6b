"""The sync engine against an in-memory device (tests/sync/memory_device.py): no SQLite, no kiosk.

What these show is that the engine needs nothing of the kiosk but sync/ports.py; the same runs on
the real store are in test_worker.py.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from sync.client import SyncClient
from sync.errors import SyncAlreadyRunning
from sync.retry import RetryPolicy
from sync.uploads import ATTACHMENT_MISSING_ON_DEVICE
from sync.worker import RunSettings, sync_once
from tests.sync.fake_server import BASE_URL, FakeServer

CLOCK = datetime(2026, 8, 3, 3, 0, tzinfo=UTC)
SETTINGS = RunSettings(policy=RetryPolicy(tries=2), clock=lambda: CLOCK, sleep=lambda _: None)


@pytest.fixture
def device(tmp_path):
    from tests.sync.memory_device import memory_device

    return memory_device(tmp_path)


def _run(server: FakeServer, device, **options):
    with server.http() as http:
        return sync_once(
            device[0], SyncClient(http, BASE_URL, server.credential), SETTINGS, **options
        )


def _photo(tmp_path, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    (tmp_path / f"{sha}.jpg").write_bytes(content)
    return sha


def _body(number: str, *shas: str, **extra) -> dict:
    documents = [{"type": "kk", "photo_sha256": sha} for sha in shas]
    return {"register_number": number, "documents": documents, **extra}


def test_the_engine_drains_an_outbox_that_is_not_sqlite(tmp_path, device):
    server, (_, outbox, state, _) = FakeServer(), device
    sha = _photo(tmp_path, b"a photo of a family card")
    outbox.add("submission", "c-1", _body("K7Q2ZB-0001", sha))
    outbox.add("complaint", "c-2", _body("K7Q2ZB-0002"))
    progress = []
    report = _run(server, device, on_progress=progress.append)
    assert report.is_complete, report.to_dict()
    assert (report.sent, report.attachments_uploaded) == (2, 1)
    assert set(server.records) == {"c-1", "c-2"} and server.complete == {sha}
    assert outbox.states() == {"c-1": "sent", "c-2": "sent"}
    assert state.runs == [(CLOCK.isoformat(), None)]
    assert (progress[-1].records_done, progress[-1].records_total) == (2, 2)


def test_a_rejected_record_is_set_aside_and_the_rest_go_on(device):
    server, (_, outbox, _, _) = FakeServer(), device
    server.reject = lambda body: bool(body.get("bad"))
    outbox.add("submission", "bad", _body("K7Q2ZB-0001", bad=True))
    outbox.add("submission", "good", _body("K7Q2ZB-0002"))
    report = _run(server, device)
    assert outbox.states() == {"bad": "quarantined", "good": "sent"}
    assert [(item.client_id, item.code) for item in report.quarantined] == [
        ("bad", "invalid_record")
    ]
    assert report.quarantined_total == 1 and not report.is_complete


def test_a_photo_missing_on_the_device_holds_back_only_its_record(device):
    server, (_, outbox, _, _) = FakeServer(), device
    outbox.add("submission", "lost", _body("K7Q2ZB-0001", "ab" * 32))
    outbox.add("submission", "fine", _body("K7Q2ZB-0002"))
    report = _run(server, device)
    assert outbox.states() == {"lost": "quarantined", "fine": "sent"}
    assert report.quarantined[0].code == ATTACHMENT_MISSING_ON_DEVICE
    assert "lost" not in server.records


def test_another_process_holding_the_lock_means_this_run_does_nothing(device):
    server, (_, outbox, state, _) = FakeServer(), device
    state.held_elsewhere = True
    outbox.add("submission", "c-1", _body("K7Q2ZB-0001"))
    report = _run(server, device)
    assert isinstance(report.error, SyncAlreadyRunning)
    assert server.log == [] and outbox.states() == {"c-1": "pending"} and state.runs == []


def test_the_servers_changes_land_in_the_sink_with_their_cursor(device):
    server, (_, _, state, changes) = FakeServer(), device
    server.add_change("status", record_kind="submission", client_id="c-1", state="verified")
    server.add_change("roster", program="pkh", entry={"nik": "3174015708800002", "name": "Aminah"})
    server.add_change("roster", program="pkh", entry={"nik": 42})  # unusable: skipped
    server.add_change("rules", program="pkh", text="program = 'pkh'")
    report = _run(server, device)
    assert (report.changes_applied, report.changes_skipped) == (3, 1)
    assert changes.statuses == {"c-1": "verified"}
    assert changes.roster == {("pkh", "3174015708800002"): "Aminah"}
    assert changes.rules == {"pkh": "program = 'pkh'"}
    assert state.cursor == "4"


def test_a_background_run_leaves_records_whose_retry_time_has_not_come(device):
    server, (_, outbox, _, _) = FakeServer(), device
    seq = outbox.add("submission", "later", _body("K7Q2ZB-0001"))
    outbox.retry_later([seq], code="overloaded", message=None, at="", next_attempt_at="2099-01-01")
    assert _run(server, device, respect_schedule=True).sent == 0
    assert _run(server, device).sent == 1  # a person's "sync now" sends it anyway
