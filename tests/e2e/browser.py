"""Launching the app process and Debian's Chromium, shared by the e2e tests and bench_app.

Nothing here imports playwright at module level: callers check `chromium_missing_reason()` first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SELFCHECK_APP = [sys.executable, "-m", "kiosk", "run", "--selfcheck", "--web", "--no-browser"]
OFFICER_APP = [sys.executable, "-m", "kiosk", "run", "--web", "--no-browser"]
# The canvas can paint up to ~0.6 s after the accessibility tree changes.
PAINT_LAG_MS = 700


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    return None


@dataclass
class AppProcess:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]


# Playwright types a whole field within a few milliseconds, as only a handheld scanner does; the
# typing tests are about typing, so their apps hear no scanner (test_scanner_e2e brings its own).
TYPING_ONLY = """
[scanner]
min_length = 1000
"""


def start_app(data_dir: Path, log_path: Path, command: list[str] | None = None) -> AppProcess:
    """An app process on 127.0.0.1 and a free port, answering HTTP when returned.

    Default: the self-check kiosk (`kiosk run --selfcheck`); OFFICER_APP: the officer's app.
    Without a settings.toml in `data_dir`, the app gets TYPING_ONLY.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = data_dir / "settings.toml"
    if not settings.exists():
        settings.write_text(TYPING_ONLY, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "KIOSK_DATA_DIR": str(data_dir), "FLET_WEB_NO_CDN": "1"}
    # The child keeps its own copy of the file descriptor; ours is closed at once.
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*(command or SELFCHECK_APP), "--data-dir", str(data_dir), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return AppProcess(url, data_dir, process)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the app did not start within 60 s")
        time.sleep(0.1)


def stop_app(app: AppProcess) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()
        app.process.wait()


# Switch Flutter's accessibility tree on the moment its placeholder appears, before the app's first
# frame: a field that takes the focus earlier (autofocus) gets a hidden editing element instead of
# its accessible one, and then neither a click on it nor typed keys reach it.
SEMANTICS_AT_START = """
(() => {
  const timer = setInterval(() => {
    const placeholder = document.querySelector('flt-semantics-placeholder');
    if (placeholder) { clearInterval(timer); placeholder.click(); }
  }, 2);
})();
"""


def open_page(context: Any, url: str) -> Any:
    """A new tab on `url`, waited until Flutter painted, with the accessibility tree switched on."""
    page = context.new_page()
    page.bring_to_front()  # keyboard focus goes to the front tab only
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=30000)
    placeholder = page.locator("flt-semantics-placeholder")
    if placeholder.count():  # a context launched without SEMANTICS_AT_START
        placeholder.dispatch_event("click")
    return page


def launch_chromium(
    playwright: Any, profile_dir: str, extra_args: tuple[str, ...] = (), **options: Any
) -> Any:
    """Debian's Chromium, headless, in a persistent profile (the recipe in FLET.md)."""
    context = playwright.chromium.launch_persistent_context(
        profile_dir,
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*FLAGS, *extra_args],
        viewport={"width": 1000, "height": 1200},
        **options,
    )
    context.add_init_script(SEMANTICS_AT_START)
    LAUNCHED.append(context)
    return context


# Every context launched here, so each test's tabs can be closed after it (see leave_no_tabs).
LAUNCHED: list[Any] = []


def leave_no_tabs() -> None:
    """Close the tabs a test opened in the session's browsers; a blank one keeps each browser.

    A Flutter app left open keeps painting and reconnecting to a server that is gone: seen taking
    a third of a core for the rest of a test run, which then slowed every later test.
    """
    for context in LAUNCHED:
        try:
            pages = list(context.pages)
        except Exception:  # a context a test closed itself
            continue
        for page in pages[1:]:
            page.close()
        if pages and pages[0].url != "about:blank":
            pages[0].goto("about:blank")
