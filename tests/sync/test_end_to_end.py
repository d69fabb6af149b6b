"""The whole loop against the real server on 127.0.0.1: enroll, work offline, sync, hear back, revoke.

Only the `kiosk` and `kiosk-server` commands are used, as an officer and an administrator would.
"""

from __future__ import annotations

import gc
import json
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kiosk.cli import cli as kiosk_cli
from kiosk.services.sync import enroll_device, sync_now
from kiosk.store.records import set_meta
from kiosk.store.sync_state import SERVER_URL
from sync.protocol import Limits
from sync.retry import RetryPolicy
from sync.server import devices
from sync.server.cli import cli as server_cli
from sync.server.storage import utc_now
from sync.worker import RunSettings
from tests.support.chaos_proxy import ChaosPlan, Fault, chaos_proxy
from tests.support.images import document_photo
from tests.support.requests import kjp_request
from tests.support.server import (
    POSTGRES_UNREACHABLE,
    RunningServer,
    postgres_database,
    postgres_reachable,
    running_server,
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[RunningServer, list]]:
    """A real server and the options that point `kiosk-server` at the same database."""
    folder = tmp_path / "server"
    if request.param == "sqlite":
        with running_server(None, folder) as server:
            yield server, ["--data-dir", str(folder)]
        return
    if not postgres_reachable():
        pytest.skip(POSTGRES_UNREACHABLE)
    with postgres_database() as url, running_server(url, folder) as server:
        yield server, ["--db", url, "--data-dir", str(folder)]


def admin(options: list[str], *args: str) -> str:
    result = CliRunner().invoke(
        server_cli, [*args, *options, "--lang", "en"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def kiosk(data_dir: Path, *args: str, expect: int = 0) -> str:
    result = CliRunner().invoke(
        kiosk_cli, [*args, "--data-dir", str(data_dir), "--lang", "en"], catch_exceptions=False
    )
    assert result.exit_code == expect, result.output
    return result.output


def _submission_file(folder: Path, n: int, photos: int) -> Path:
    documents = [{"type": "kk"}]
    for index, document in enumerate(["ktp_wali", "kartu_pelajar"][:photos]):
        name = f"photo-{n}-{index}.jpg"
        (folder / name).write_bytes(document_photo(seed=n * 10 + index))
        documents.append({"type": document, "photo": name})
    path = folder / f"submission-{n}.json"
    path.write_text(json.dumps(kjp_request(documents=documents)), encoding="utf-8")
    return path


def _register_number(output: str) -> str:
    found = re.search(r"Register number: (\S+)", output)
    assert found, output
    return found.group(1)


def test_a_kiosk_enrolls_syncs_offline_work_hears_back_and_stops_when_revoked(central, tmp_path):
    server, options = central
    device_dir, work = tmp_path / "kiosk", tmp_path / "work"
    work.mkdir()
    name = f"loket-tebet-{secrets.token_hex(3)}"

    # The administrator adds the device; the officer enrolls it with the one-time code.
    added = admin(options, "device", "add", name, "--area", "31.74")
    code = re.search(r"Enrolment code for .+?: (.+)", added).group(1).strip()
    enrolled = kiosk(device_dir, "enroll", "--server", server.url, "--code", code, "--json")
    device_code = json.loads(enrolled)["device_code"]
    assert "credential" not in enrolled

    # Offline work: two submissions with photos and a complaint, numbered with the new code.
    numbers = [
        _register_number(kiosk(device_dir, "submit", str(_submission_file(work, n, photos))))
        for n, photos in ((1, 2), (2, 1))
    ]
    complaint = kiosk(
        device_dir,
        "complaint",
        "file",
        "--category",
        "late_disbursement",
        "--description",
        "Dana tahap 2 belum masuk.",
        "--name",
        "Hj. Aminah",
    )
    numbers.append(_register_number(complaint))
    assert all(number.startswith(device_code) for number in numbers)

    # First sync: everything goes, photos first; a second sync sends nothing again.
    synced = kiosk(device_dir, "sync", "--once")
    assert "Sent 3 records (0 already on the server) and 3 photos" in synced
    assert "Everything is on the server." in synced
    again = json.loads(kiosk(device_dir, "sync", "--once", "--json"))
    assert (again["sent"], again["complete"]) == (0, True)

    # The server holds each record once, and every photo byte for byte.
    exported = [
        json.loads(line)
        for kind in ("submissions", "complaints")
        for line in admin(options, "export", kind).splitlines()
    ]
    mine = [row for row in exported if row["device_code"] == device_code]
    assert sorted(row["register_number"] for row in mine) == sorted(numbers)
    local = {
        json.loads(line)["client_id"]: json.loads(line)
        for line in kiosk(device_dir, "export").splitlines()
    }
    assert sorted(row["client_id"] for row in mine) == sorted(local)
    shas = [
        document["photo_sha256"]
        for record in local.values()
        for document in record.get("documents", [])
        if document.get("photo_sha256")
    ]
    assert len(shas) == 3
    for sha in shas:
        with server.state.store.open(sha) as stored:
            held = stored.read()
        assert held == (device_dir / "attachments" / sha[:2] / f"{sha}.jpg").read_bytes()

    # The server changes a state; the kiosk shows it after its next sync.
    admin(options, "record", "set-state", numbers[0], "verified", "--note", "Dokumen lengkap.")
    before = kiosk(device_dir, "status", numbers[0])
    assert "checked and found correct" not in before
    kiosk(device_dir, "sync")
    after = kiosk(device_dir, "status", numbers[0])
    assert "Documents and data have been checked and found correct." in after
    assert "Dokumen lengkap." in after

    # Revoked: the next sync fails with that reason, and nothing made offline is lost.
    admin(options, "device", "revoke", name)
    late = _register_number(kiosk(device_dir, "submit", str(_submission_file(work, 3, 1))))
    refused = kiosk(device_dir, "sync", "--once", expect=1)
    assert "revoked" in refused.strip().splitlines()[-1]
    status = json.loads(kiosk(device_dir, "sync", "--status", "--json"))
    assert status["pending"] == 1 and status["last_error"]["code"] == "sync.revoked_device"
    assert late in {
        json.loads(line)["register_number"] for line in kiosk(device_dir, "export").splitlines()
    }
    server_numbers = {
        json.loads(line)["register_number"]
        for line in admin(options, "export", "submissions").splitlines()
    }
    assert late not in server_numbers


# The proxy and uvicorn are asyncio code whose sockets, cut on purpose mid-stream, are sometimes
# closed only by the garbage collector; that cleanup noise is theirs, not the kiosk's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_over_a_link_that_drops_resets_and_stalls_every_record_arrives_exactly_once(
    kiosk, submit, tmp_path
):
    limits = Limits(max_batch_records=4, chunk_bytes=16 * 1024)
    with running_server(None, tmp_path / "server", limits=limits) as server:
        ticket = devices.add_device(
            server.state.database, "loket-chaos", "31.74", now=utc_now(), ttl=timedelta(hours=1)
        )
        enroll_device(kiosk, server.url, ticket.display)
        ids = [submit(photos=1) for _ in range(12)]
        port = int(server.url.rsplit(":", 1)[1])
        plan = ChaosPlan(
            seed=4,
            stall_seconds=0.2,
            weights={
                Fault.DROP_REQUEST: 0.12,
                Fault.DROP_RESPONSE: 0.12,  # the server acted, the answer is lost
                Fault.RESET: 0.06,
                Fault.STALL: 0.05,
            },
        )
        # No keep-alive: every request takes a new connection, and so its own chance of a fault.
        one_connection_per_request = httpx.Limits(max_keepalive_connections=0)
        with chaos_proxy(port, plan) as proxy:
            set_meta(kiosk.db, SERVER_URL, proxy.url)
            for _ in range(60):
                report = sync_now(
                    kiosk,
                    http_factory=lambda trust: httpx.Client(
                        timeout=5.0, limits=one_connection_per_request
                    ),
                    settings=RunSettings(policy=RetryPolicy(tries=2), sleep=lambda seconds: None),
                )
                if report.is_complete:
                    break
            faults = {fault: n for fault, n in proxy.stats.faults.items() if fault != Fault.NONE}
        assert report.is_complete, report.to_dict()
        assert sum(faults.values()) >= 10, faults  # the link really was bad
        held = [
            row["client_id"]
            for row in (
                json.loads(line)
                for line in CliRunner()
                .invoke(
                    server_cli, ["export", "submissions", "--data-dir", str(tmp_path / "server")]
                )
                .output.splitlines()
            )
        ]
        assert sorted(held) == sorted(ids)  # each once: no loss, no duplicate
    gc.collect()  # let the cut sockets' cleanup happen here, under this test's filter
