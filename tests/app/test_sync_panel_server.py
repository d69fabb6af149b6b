"""The sync panel's "sync now" against a real server that goes away in the middle of a run.

A real server on 127.0.0.1 behind a slow link (tests/support/chaos_proxy.py): the photo upload is
under way when the link dies. The panel then says what happened in words, and nothing saved is
lost: once the server can be reached again, everything arrives.
"""

from __future__ import annotations

import dataclasses
import io
import random
import threading
import time
from datetime import timedelta

import pytest
from PIL import Image

from kiosk.bootstrap import open_kiosk
from kiosk.services.counter import save_verification, submission_lines
from kiosk.services.sync import enroll_device, sync_now, sync_status
from kiosk.services.sync_supervisor import SyncMonitor, SyncSupervisor
from kiosk.store.sync_state import enrollment, save_enrollment
from kiosk.views.shell import AppContext
from kiosk.views.sync_panel import panel_lines
from sync.server import devices
from sync.server.records import export_records
from sync.server.storage import utc_now
from tests.support.chaos_proxy import ChaosPlan, chaos_proxy
from tests.support.requests import kjp_request
from tests.support.server import running_server

pytestmark = pytest.mark.slow

LINK_BYTES_PER_SECOND = 200_000  # a slow uplink: the photos take seconds, not milliseconds


def _noisy_photo(seed: int) -> bytes:
    """A photo that stays large after normalising (noise does not compress)."""
    image = Image.frombytes("RGB", (1400, 1000), random.Random(seed).randbytes(1400 * 1000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_the_server_going_away_mid_sync_is_told_in_words_and_loses_nothing(kiosk, tmp_path):
    request = kjp_request(documents=[{"type": "kk"}, {"type": "ktp_wali"}, {"type": "permohonan"}])
    photos = {doc["type"]: _noisy_photo(n) for n, doc in enumerate(request["documents"])}
    number = str(save_verification(kiosk, request, photos).submission.register_number)
    ctx = AppContext(kiosk=kiosk)
    supervisor = SyncSupervisor(lambda: open_kiosk(kiosk.data_dir))
    monitor = supervisor.monitor

    with running_server(None, tmp_path / "server") as server:
        port = int(server.url.rsplit(":", 1)[1])
        ticket = devices.add_device(
            server.state.database, "counter", "31.74", now=utc_now(), ttl=timedelta(hours=1)
        )
        with chaos_proxy(port, ChaosPlan(weights={}, bandwidth=LINK_BYTES_PER_SECOND)) as link:
            enroll_device(kiosk, link.url, ticket.display)
            run = threading.Thread(target=supervisor.sync_now)  # the panel's "sync now"
            run.start()
            deadline = time.monotonic() + 30
            while not _uploading(monitor):
                assert run.is_alive() and time.monotonic() < deadline, monitor.state()
                time.sleep(0.01)
        # The link is gone, with the upload half done.
        run.join(timeout=120)
        assert not run.is_alive()

        state = monitor.state()
        assert not state.running and state.error is not None, state
        lines = panel_lines(ctx, sync_status(kiosk), state)
        [error_line] = [line for line in lines if line.startswith("Kesalahan terakhir: ")]
        assert state.error["code"] not in error_line  # a sentence, not a code
        [line] = submission_lines(kiosk)
        assert line.register_number == number and line.outbox_state in ("pending", "sending")
        assert sync_status(kiosk).pending >= 1

        # The server is reachable again (directly this time): everything arrives.
        save_enrollment(kiosk.db, dataclasses.replace(enrollment(kiosk.db), server_url=server.url))
        report = sync_now(kiosk)
        assert report.error is None and sync_status(kiosk).pending == 0
        [held] = [
            row
            for row in export_records(server.state.database, "submission")
            if row["register_number"] == number
        ]
        assert len(held["record"]["documents"]) == 3 and len(held["attachments"]) == 3


def _uploading(monitor: SyncMonitor) -> bool:
    progress = monitor.state().progress
    return progress is not None and 0 < progress.bytes_done < progress.bytes_total
