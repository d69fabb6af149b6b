"""The sync panel in real Chromium against a real central server process that comes and goes.

The app saves while the server is down and says so in words; the server comes up on the same
address and the app's background sync sends the record; a state set by central staff
(`kiosk-server record set-state`) comes back and the list shows it; "sync now" works; the server
going away again is told in words, and nothing saved is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from kiosk.bootstrap import open_kiosk
from kiosk.cli.local_server import LocalServer
from kiosk.i18n import text
from kiosk.services.counter import submission_lines
from tests.e2e.actions import choose, press, see, type_into
from tests.e2e.browser import OFFICER_APP, AppProcess, chromium_missing_reason, start_app, stop_app
from tests.e2e.conftest import OFFICER, Screens, kiosk_cli
from tests.e2e.test_officer_e2e import COLLECTOR, LEVEL, RECIPIENT, STAGE_2, sign_in
from tests.support.requests import STUDENT_NIK

pytestmark = pytest.mark.slow

# Background sync every second, and retries as soon: the test waits on it, not on a clock.
SYNC_INTERVAL = "1"
SYNC_WAIT_MS = 30_000
UNREACHABLE = "tidak dapat dihubungi"


@pytest.fixture
def offline_counter(tmp_path) -> Iterator[tuple[AppProcess, LocalServer]]:
    """An officer's app enrolled to a server that is down when the app starts."""
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    data = tmp_path / "data"
    server = LocalServer(tmp_path / "server")
    with server:
        output = server.run("device", "add", "counter-e2e", "--area", "31.74")
        code = re.search(r"([0-9A-Z]{3,}(?:-[0-9A-Z]{3,})+)\s*$", output.splitlines()[0])
        assert code, output
        kiosk_cli("enroll", "--server", server.url, "--code", code.group(1), data_dir=data)
    kiosk_cli("officer", "add", OFFICER[0], "--pin", OFFICER[1], data_dir=data)
    app = start_app(data, tmp_path / "app.log", [*OFFICER_APP, "--sync-interval", SYNC_INTERVAL])
    try:
        yield app, server
    finally:
        stop_app(app)
        server.stop()


def save_a_verification(page: Any) -> str:
    type_into(page, text("verify.nik"), STUDENT_NIK)
    type_into(page, text("verify.name"), "Siti Rahmawati")
    choose(page, text("verify.stage"), STAGE_2)
    choose(page, LEVEL, "SMA / MA / SMALB")
    choose(page, RECIPIENT, "Tidak, penerima lanjutan (sudah punya kartu KJP Plus)")
    choose(page, COLLECTOR, "Orang tua (ayah atau ibu)")
    press(page, text("verify.save"))
    saved = page.get_by_text(re.compile(r"Tersimpan\. Nomor registrasi: \S+"))
    expect(saved).to_be_visible()
    return saved.inner_text().rsplit(" ", 1)[-1]


def test_saved_offline_sent_when_the_server_comes_and_its_state_comes_back(
    offline_counter, browser_context
):
    app, server = offline_counter
    screens = Screens(browser_context, app.url, app.data_dir)
    page = screens.open("/")
    sign_in(page)
    number = save_a_verification(page)

    # The server is down: the panel says so in words, and the record waits.
    press(page, text("app.nav_sync"))
    see(page, text("sync_panel.pending", count=1))
    expect(page.get_by_text(UNREACHABLE, exact=False).first).to_be_visible(timeout=SYNC_WAIT_MS)
    screens.shot(page, "sync-panel-server-down")

    # The server comes up at the same address: background sync sends the record by itself.
    server.start()
    expect(page.get_by_text(text("sync_panel.sent", count=1))).to_be_visible(timeout=SYNC_WAIT_MS)
    see(page, text("sync_panel.pending", count=0))
    expect(page.get_by_text(UNREACHABLE, exact=False)).to_have_count(0)
    screens.shot(page, "sync-panel-sent")

    # Central staff verify it; the next background pull brings the state back to the list.
    server.run("record", "set-state", number, "verified", "--note", "Dokumen lengkap")
    press(page, text("app.nav_submissions"))
    verified = page.get_by_text(text("status.submission.verified"), exact=False)
    for _ in range(SYNC_WAIT_MS // 500):
        if verified.count():
            break
        page.wait_for_timeout(500)
        press(page, text("submissions.refresh"))
    expect(verified.first).to_be_visible()
    see(page, text("selfcheck.note_line", note="Dokumen lengkap"))
    screens.shot(page, "sync-submissions-verified")

    # "Sync now", at the officer's request.
    press(page, text("app.nav_sync"))
    sync_now = page.get_by_role("button", name=text("sync_panel.sync_now"), exact=True)
    expect(sync_now).to_be_enabled(timeout=SYNC_WAIT_MS)
    sync_now.click()
    expect(page.get_by_text(re.compile(r"Sinkron selesai: \d+ data terkirim\."))).to_be_visible(
        timeout=SYNC_WAIT_MS
    )
    screens.shot(page, "sync-panel-sync-now")

    # The server goes away again: a new record waits, the reason is told, nothing is lost.
    server.stop()
    press(page, text("app.nav_verify"))
    press(page, text("verify.new"))
    second = save_a_verification(page)
    press(page, text("app.nav_sync"))
    expect(sync_now).to_be_enabled(timeout=SYNC_WAIT_MS)
    sync_now.click()
    expect(page.get_by_text(UNREACHABLE, exact=False).first).to_be_visible(timeout=SYNC_WAIT_MS)
    see(page, text("sync_panel.pending", count=1))
    screens.shot(page, "sync-panel-server-gone")
    page.close()

    kiosk = open_kiosk(app.data_dir)
    try:
        lines = {line.register_number: line for line in submission_lines(kiosk)}
    finally:
        kiosk.close()
    assert lines[number].state == "verified" and lines[number].outbox_state == "sent"
    assert lines[second].outbox_state == "pending"
