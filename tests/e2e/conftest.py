"""Real headless Chromium (Debian's) driven by Playwright against the app served as a real process.

Skips with the reason when /usr/bin/chromium or playwright is missing (CI's KIOSK_NO_SKIPS turns
that into a failure). Screenshots of every screen are kept under artifacts/screens/ (git-ignored).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    OFFICER_APP,
    PAINT_LAG_MS,
    AppProcess,
    chromium_missing_reason,
    launch_chromium,
    leave_no_tabs,
    open_page,
    start_app,
    stop_app,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "artifacts" / "screens"


@pytest.fixture(scope="session", autouse=True)
def patient_expectations() -> None:
    """Wait up to 10 s (Playwright's default is 5) for what a screen shows: CI runs these tests on
    two cores shared by the app, the browser and sometimes a server, where a rebuilt screen has
    taken over 5 s to appear. What must appear is unchanged."""
    if chromium_missing_reason() is None:
        from playwright.sync_api import expect

        expect.set_options(timeout=10_000)


@pytest.fixture(autouse=True)
def no_tabs_left_behind() -> Iterator[None]:
    yield
    leave_no_tabs()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """One app process for the session; each test makes its own records in its data folder."""
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("e2e")
    running = start_app(folder / "data", folder / "app.log")
    yield running
    stop_app(running)


OFFICER = ("Budi", "1234")


def kiosk_cli(*args: str, data_dir: Path) -> str:
    """Run a `kiosk` command as a person would (a real process); its output."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "kiosk", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def start_officer_app(folder: Path, settings: str | None = None) -> AppProcess:
    """An officer's app with one officer (`kiosk officer add`) and the sample roster; `settings`
    is its settings.toml (start_app's TYPING_ONLY when None)."""
    data = folder / "data"
    kiosk_cli("officer", "add", OFFICER[0], "--pin", OFFICER[1], data_dir=data)
    roster = ROOT / "assets" / "samples" / "roster-kjp-plus.csv"
    kiosk_cli("roster", "import", str(roster), "--program", "kjp-plus", data_dir=data)
    if settings is not None:
        (data / "settings.toml").write_text(settings, encoding="utf-8")
    return start_app(data, folder / "app.log", OFFICER_APP)


@pytest.fixture(scope="session")
def officer_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """The officer's app as a process, with one officer (`kiosk officer add`) and the sample roster."""
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    running = start_officer_app(tmp_path_factory.mktemp("e2e-officer"))
    yield running
    stop_app(running)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One Playwright for the session: its sync API allows only one at a time per thread."""
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser_context(playwright: Any) -> Iterator[Any]:
    context = launch_chromium(playwright, tempfile.mkdtemp(prefix="lengkap-chromium-"))
    yield context
    context.close()


class Screens:
    """Opens the app in a tab with its accessibility tree on, and keeps screenshots."""

    def __init__(self, context: Any, url: str, data_dir: Path | None = None) -> None:
        self.context = context
        self.url = url
        self.data_dir = data_dir  # the app process's data folder

    def open(self, route: str) -> Any:
        return open_page(self.context, f"{self.url}{route}")

    def shot(self, page: Any, name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(PAINT_LAG_MS)
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path))
        return path


@pytest.fixture
def screens(app: AppProcess, browser_context: Any) -> Screens:
    return Screens(browser_context, app.url)


@pytest.fixture
def officer_screens(officer_app: AppProcess, browser_context: Any) -> Screens:
    return Screens(browser_context, officer_app.url, officer_app.data_dir)


@pytest.fixture
def app_kiosk(app: AppProcess) -> Iterator[Any]:
    """The same data folder the app process uses, opened here to make records through services."""
    from kiosk.bootstrap import open_kiosk

    opened = open_kiosk(app.data_dir)
    yield opened
    opened.close()
