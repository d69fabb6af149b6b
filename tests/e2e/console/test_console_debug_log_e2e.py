"""At `kiosk-server serve --log-level debug`, staff sign in and work cases in a real browser, and
the server's whole log holds none of the values used: no password, NIK, family card, name, phone
or account number (Flet's transport, websockets and SQLAlchemy log payloads at DEBUG)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from kiosk.i18n import text
from tests.e2e.browser import ROOT, chromium_missing_reason
from tests.e2e.console.conftest import Console, ConsoleWorld, type_into
from tests.support.requests import FAMILY_KK, MOTHER_NIK, STUDENT_NIK, kjp_request
from tests.support.server import free_port

pytestmark = pytest.mark.slow

PASSWORDS = {"verifier": "rahasia-verifikator-9371", "officer": "rahasia-petugas-6402"}
NAMES = ("Siti Rahmawati", "Hj. Aminah", "Sitti Rahmawati Putri")
PHONE = "081298765432"
ACCOUNT = "0123456789"
ROSTER_ACCOUNT = "0123456780"
ROSTER = (
    "nik,nama,no_kk,tanggal_lahir,bank,rekening,kode_wilayah\n"
    f"{STUDENT_NIK},Sitti Rahmawati Putri,{FAMILY_KK},2009-05-14,Bank DKI,{ROSTER_ACCOUNT},31.74.01\n"
)


def _serve(folder: Path, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "sync.server", "serve", "--port", str(port)]
    command += ["--data-dir", str(folder), "--log-level", "debug"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def debug_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleWorld, Path]]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("debug-log")
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process, url = _serve(folder / "server", log)
        try:
            world = ConsoleWorld(url, folder / "server", folder / "kiosk")
            for role, password in PASSWORDS.items():
                name = f"{role.capitalize()} Staf"
                world.admin(
                    "user", "add", name, "--role", role, "--password-stdin", stdin=f"{password}\n"
                )
                world.staff[role] = (name, password)
            added = world.admin("device", "add", "loket-debug", "--area", "31.74.01")
            code = re.search(r"Enrolment code for .+?: (.+)", added).group(1).strip()
            world.kiosk("enroll", "--server", url, "--code", code)
            work = folder / "work"
            work.mkdir()
            (work / "roster.csv").write_text(ROSTER, encoding="utf-8")
            world.admin("roster", "publish", str(work / "roster.csv"), "--program", "kjp-plus")
            account = {"bank": "Bank DKI", "account": ACCOUNT}
            request = kjp_request(documents=[{"type": "kk"}], bank_account=account)
            (work / "submission.json").write_text(json.dumps(request), encoding="utf-8")
            submitted = world.kiosk("submit", str(work / "submission.json"))
            world.submission = re.search(r"Register number: (\S+)", submitted).group(1)
            filed = world.kiosk(
                "complaint", "file", "--category", "other", "--name", "Hj. Aminah",
                "--nik", MOTHER_NIK, "--phone", PHONE,
                "--description", f"Dana belum masuk ke rekening {ACCOUNT}; telepon {PHONE}.",
            )  # fmt: skip
            world.complaints.append(re.search(r"Register number: (\S+)", filed).group(1))
            assert "Everything is on the server." in world.kiosk("sync", "--once")
            yield world, log_path
        finally:
            process.terminate()
            process.wait(timeout=30)


def _press(page: Any, label: str) -> None:
    if page.evaluate("() => document.activeElement?.tagName") in ("INPUT", "TEXTAREA"):
        page.keyboard.press("Tab")
    page.get_by_role("button", name=label, exact=True).click()


def _see(page: Any, sentence: str) -> None:
    expect(page.get_by_text(sentence, exact=False).first).to_be_visible()


def test_working_cases_at_debug_leaves_no_personal_data_in_the_log(debug_world, console_browser):
    world, log_path = debug_world
    console = Console(console_browser, world)

    page = console.sign_in("verifier")
    _press(page, text("console.nav.review"))
    _press(page, text("console.open", number=world.submission))
    _see(page, STUDENT_NIK)  # whole values on the screen: they crossed the WebSocket
    _see(page, "Sitti Rahmawati Putri")
    type_into(page, text("console.review.approve_note"), "Dokumen lengkap dan sesuai.")
    _press(page, text("console.review.do.approve"))
    _see(page, text("console.case.done", action=text("console.action.approve")))

    page = console.sign_in("officer")
    number = world.complaints[0]
    _press(page, text("console.open", number=number))
    _see(page, text("console.case.heading", number=number))
    _see(page, "Hj. Aminah")
    page.get_by_role("radio", name=text("category.late_disbursement")).click()
    page.get_by_role("radio", name=text("console.severity.high")).click()
    _press(page, text("console.case.do.classify"))
    _see(page, text("console.case.done", action=text("console.action.classify")))
    for tab in console_browser.pages:
        tab.close()

    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "server ready" in log and "/v1/push" in log  # the whole run's log, at debug
    used = [*PASSWORDS.values(), STUDENT_NIK, MOTHER_NIK, FAMILY_KK, *NAMES, PHONE]
    used += [ACCOUNT, ROSTER_ACCOUNT]
    leaked = [value for value in used if value in log]
    assert leaked == [], f"{len(leaked)} values used in the console are in the server log"
