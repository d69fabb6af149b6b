"""The console under a sign-in flood: the server keeps answering, and the lockout holds.

The flood goes through the console's own handler path (a Flet session per tab, its events
dispatched the way the WebSocket does) on the very event loop the real server answers `/health`
on, so a handler that hashes on the loop shows up as `/health` waiting.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import flet as ft
import httpx
import pytest
import uvicorn

from kiosk.domain.credentials import LOCKOUT_RULE
from kiosk.i18n import text
from sync.server.app import create_app
from sync.server.console.app import ConsoleApp
from sync.server.settings import ServerSettings
from sync.server.staff.accounts import add_user, sign_in
from sync.server.state import ServerState
from sync.server.storage import utc_now
from tests.app.flet_harness import FakeBrowser
from tests.support.server import RunningServer

PASSWORD = "kata-sandi-benar-123"
MISSES = LOCKOUT_RULE.max_misses


def at_once(count: int, attempt: object) -> list[str]:
    """`attempt(i)` from `count` threads released together; the answers' codes."""
    start = threading.Barrier(count)

    def one(i: int) -> str:
        start.wait()
        return attempt(i).code  # type: ignore[operator, no-any-return]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.parametrize("exists", [True, False], ids=["account", "no-account"])
def test_twenty_wrong_passwords_at_once_on_one_name_are_judged_at_most_five_times(
    live_server: RunningServer, exists: bool
) -> None:
    db = live_server.state.database
    name = f"target-{secrets.token_hex(4)}"
    if exists:
        add_user(db, name, "verifier", PASSWORD, now=utc_now())
    answers = at_once(20, lambda i: sign_in(db, name, f"guess-{i:02d}-wrong", now=utc_now()))
    # Four misses answered "wrong", the fifth locks: every later one waits out the lock.
    assert answers.count("wrong_password") == MISSES - 1
    assert answers.count("locked") == 20 - (MISSES - 1)
    assert sign_in(db, name, PASSWORD, now=utc_now()).code == "locked"


@dataclass
class LoopServer:
    url: str
    loop: asyncio.AbstractEventLoop
    state: ServerState


@pytest.fixture
def loop_server(tmp_path: Path) -> Iterator[LoopServer]:
    """The real app under uvicorn, on an event loop this test can also schedule tabs on."""
    settings = ServerSettings.resolve(tmp_path, None)
    app = create_app(settings)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="flood-server", daemon=True)
    thread.start()
    serving = asyncio.run_coroutine_threadsafe(server.serve(sockets=[sock]), loop)
    deadline = time.monotonic() + 30
    while not server.started:
        assert not serving.done() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield LoopServer(f"http://127.0.0.1:{sock.getsockname()[1]}", loop, app.state.lengkap)
    finally:
        server.should_exit = True
        serving.result(timeout=30)

        async def cancel_the_rest() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        sock.close()


def health_latencies(client: httpx.Client, until: list[Future[object]] | int) -> list[float]:
    """Seconds each `/health` took: `until` times, or until every future is done."""
    took: list[float] = []
    while (len(took) < until) if isinstance(until, int) else not all(f.done() for f in until):
        started = time.perf_counter()
        assert client.get("/health").status_code == 200
        took.append(time.perf_counter() - started)
    return took


def test_a_sign_in_flood_on_the_console_leaves_health_answering_as_fast(
    loop_server: LoopServer,
) -> None:
    """200 wrong sign-ins from 20 tabs at once, each tab its own address and name."""
    # Each tab as a script would hold it: the page's cookie, got by loading the page once.
    console = ConsoleApp(lambda: loop_server.state, browser_of=lambda: "a-loaded-page")
    tabs = []
    for i in range(20):
        tab = FakeBrowser(console.main, loop=loop_server.loop)
        tab.page.client_ip = f"10.0.{i}.1"
        tab.type_into(text("console.signin.name"), f"stranger-{i}")
        tab.type_into(text("console.signin.password"), "not-the-password")
        tabs.append(tab)
    with httpx.Client(base_url=loop_server.url, timeout=120) as client:
        quiet = health_latencies(client, 30)
        clicks = [
            asyncio.run_coroutine_threadsafe(click_again_and_again(tab, 10), loop_server.loop)
            for tab in tabs
        ]
        attacked = health_latencies(client, clicks)
    for click in clicks:
        click.result(timeout=120)
    for tab in tabs:
        tab.close()
    console.sign_ins.close()
    quiet_median = statistics.median(quiet)
    # Robust on a loaded machine: compared with the same server a moment before, not a clock.
    assert statistics.median(attacked) <= 5 * quiet_median + 0.005, (quiet_median, attacked)
    assert max(attacked) <= 50 * quiet_median + 0.25, (quiet_median, attacked)


async def click_again_and_again(tab: FakeBrowser, times: int) -> None:
    """What a script does: click "sign in", wait for the answer, click again."""
    button = submit_button(tab)
    for _ in range(times):
        await tab.session.dispatch_event(button._i, "click", None)


def submit_button(tab: FakeBrowser) -> ft.Button:
    button: ft.Button = tab.find(ft.Button, text("console.signin.submit"))
    return button
