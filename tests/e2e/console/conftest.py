"""The staff console in real headless Chromium, against `kiosk-server serve` as a real process.

The world is made the way people make it: staff accounts with `kiosk-server user add` (and
`kiosk-server user totp` for the admin and the supervisor, whose codes the tests type), a device
added with `kiosk-server device add` and enrolled with `kiosk enroll`, a submission (with a photo)
and a complaint recorded on that kiosk and pushed with `kiosk sync --once`. The browser may reach
127.0.0.1 only, which proves the console works offline. Skips with the reason when Chromium or
playwright is missing (CI's KIOSK_NO_SKIPS turns that into a failure).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk.i18n import text
from tests.e2e.browser import (
    PAINT_LAG_MS,
    ROOT,
    chromium_missing_reason,
    launch_chromium,
    open_page,
)
from tests.support.images import document_photo
from tests.support.requests import FAMILY_KK, MOTHER_NIK, STUDENT_NIK, kjp_request
from tests.support.server import server_process
from tests.support.totp import Authenticator, set_up_with_cli

SCREENS = ROOT / "artifacts" / "screens"
ROLES = ("officer", "verifier", "technical", "supervisor", "admin")
COMPLAINTS = 3  # one per test that changes a complaint, so the tests do not depend on each other
ACCOUNT = "0123456789"
ROSTER_ACCOUNT = "0123456780"
ROSTER = (
    "nik,nama,no_kk,tanggal_lahir,bank,rekening,kode_wilayah\n"
    f"{STUDENT_NIK},Sitti Rahmawati Putri,{FAMILY_KK},2009-05-14,Bank DKI,{ROSTER_ACCOUNT},31.74.01\n"
)
TYPING_ATTEMPTS = 3


def run(command: list[str], *, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, f"{command[2:4]} failed: {done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass
class ConsoleWorld:
    """A running server with staff, and a kiosk that pushed one submission and one complaint."""

    url: str
    server_dir: Path
    kiosk_dir: Path
    complaints: list[str] = field(default_factory=list)
    submission: str = ""
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (name, password)
    authenticator: Authenticator = field(default_factory=Authenticator)

    def admin(self, *args: str, stdin: str | None = None) -> str:
        command = [sys.executable, "-m", "sync.server", *args, "--data-dir", str(self.server_dir)]
        return run([*command, "--lang", "en"], stdin=stdin)

    def kiosk(self, *args: str) -> str:
        command = [sys.executable, "-m", "kiosk", *args, "--data-dir", str(self.kiosk_dir)]
        return run([*command, "--lang", "en"])

    def add_staff(self, role: str) -> None:
        name, password = f"{role.capitalize()} Staf", f"sandi-{role}-2026"
        self.admin("user", "add", name, "--role", role, "--password-stdin", stdin=f"{password}\n")
        self.staff[role] = (name, password)
        if role in ("admin", "supervisor"):  # they cannot sign in to the console without it
            command = [sys.executable, "-m", "sync.server", "user", "totp", name]
            command += ["--data-dir", str(self.server_dir), "--lang", "en"]
            set_up_with_cli(command, self.authenticator, name)


def _register_number(output: str) -> str:
    found = re.search(r"Register number: (\S+)", output)
    assert found, output
    return found.group(1)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("console")
    with server_process(None, folder / "server") as url:
        made = ConsoleWorld(url, folder / "server", folder / "kiosk")
        for role in ROLES:
            made.add_staff(role)
        added = made.admin("device", "add", "loket-tebet", "--area", "31.74.01")
        code = re.search(r"Enrolment code for .+?: (.+)", added).group(1).strip()
        made.kiosk("enroll", "--server", url, "--code", code)
        work = folder / "work"
        work.mkdir()
        (work / "ktp.jpg").write_bytes(document_photo(seed=7))
        # The roster has the student with another spelling and another account number.
        (work / "roster.csv").write_text(ROSTER, encoding="utf-8")
        made.admin("roster", "publish", str(work / "roster.csv"), "--program", "kjp-plus")
        documents = [{"type": "kk"}, {"type": "ktp_wali", "photo": "ktp.jpg"}]
        account = {"bank": "Bank DKI", "account": ACCOUNT}
        request = kjp_request(documents=documents, bank_account=account)
        (work / "submission.json").write_text(json.dumps(request), encoding="utf-8")
        made.submission = _register_number(made.kiosk("submit", str(work / "submission.json")))
        for _ in range(COMPLAINTS):
            filed = made.kiosk(
                "complaint", "file", "--category", "other", "--name", "Hj. Aminah",
                "--nik", MOTHER_NIK, "--phone", "081234567890",
                "--description", f"Dana tahap 2 belum masuk ke rekening {ACCOUNT}.",
            )  # fmt: skip
            made.complaints.append(_register_number(filed))
        synced = made.kiosk("sync", "--once")
        assert "Everything is on the server." in synced, synced
        yield made


def _local_only(route: Any) -> None:
    """Refuse every request that would leave this machine: the console must not need one."""
    if route.request.url.startswith("http://127.0.0.1:"):
        route.continue_()
    else:
        route.abort()


@pytest.fixture(scope="session")
def console_browser(playwright: Any) -> Iterator[Any]:
    """A browser of its own (downloads on, offline), on the session's one Playwright."""
    profile = tempfile.mkdtemp(prefix="lengkap-console-")
    context = launch_chromium(playwright, profile, accept_downloads=True)
    context.route("**/*", _local_only)
    yield context
    context.close()


class Console:
    """Opens the console in a tab, signs staff in, and keeps screenshots."""

    def __init__(self, context: Any, world: ConsoleWorld) -> None:
        self.context = context
        self.world = world

    def open(self) -> Any:
        return open_page(self.context, f"{self.world.url}/console")

    def sign_in(self, role: str) -> Any:
        """A new tab with `role`'s staff member signed in, on their first screen."""
        name, password = self.world.staff[role]
        return self.sign_in_as(name, password, role)

    def sign_in_as(self, name: str, password: str, role: str) -> Any:
        from playwright.sync_api import expect

        page = self.open()
        type_into(page, text("console.signin.name"), name)
        type_into(page, text("console.signin.password"), password)
        code = self.world.authenticator.code(name)
        if code:
            type_into(page, text("console.signin.code"), code)
        page.keyboard.press("Enter")
        role_name = text(f"console.role.{role}")
        signed_in = text("console.signed_in_as", name=name, role=role_name)
        expect(page.get_by_text(signed_in)).to_be_visible()
        return page

    def shot(self, page: Any, name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(PAINT_LAG_MS)
        path = SCREENS / f"console-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def type_into(page: Any, label: str, value: str) -> Any:
    """Click the field a screen reader calls `label`, type like a person, check what arrived.

    On a loaded 2-core machine Flutter can drop the first keys typed right after a field takes
    the focus; then the field is cleared and typed again (the value is still checked exactly).
    """
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name=label)
    box.click()
    expect(box).to_be_focused()
    # Flutter attaches text editing a frame after the focus (marking the input autocorrect="on");
    # keys typed before that are overwritten by the field's own state (see tests/e2e/actions.py).
    expect(box).to_have_attribute("autocorrect", "on")
    for _ in range(TYPING_ATTEMPTS):
        page.keyboard.type(value)
        if box.input_value() == value:
            break
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
    expect(box).to_have_value(value)
    return box


@pytest.fixture
def console(world: ConsoleWorld, console_browser: Any) -> Iterator[Console]:
    made = Console(console_browser, world)
    yield made
    for page in console_browser.pages:
        page.close()
