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
    PAINT_LAG_MS,
    AppProcess,
    chromium_missing_reason,
    launch_chromium,
    open_page,
    start_app,
    stop_app,
)

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


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


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tempfile.mkdtemp(prefix="lengkap-chromium-"))
        yield context
        context.close()


class Screens:
    """Opens the app in a tab with its accessibility tree on, and keeps screenshots."""

    def __init__(self, context: Any, url: str) -> None:
        self.context = context
        self.url = url

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
def app_kiosk(app: AppProcess) -> Iterator[Any]:
    """The same data folder the app process uses, opened here to make records through services."""
    from kiosk.bootstrap import open_kiosk

    opened = open_kiosk(app.data_dir)
    yield opened
    opened.close()
