"""A staff session belongs to the browser that signed in: never resumed by its id alone, ended by
a new password or a disabled account, and its id never logged.

The resume test speaks Flet's own WebSocket protocol to the real server, as a script would: it
registers with a session id it learnt and the victim's User-Agent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import flet as ft
import httpx
import msgpack
import pytest
from click.testing import CliRunner
from flet.messaging.protocol import MessageAction
from flet.utils import sha1
from flet_web.fastapi import app_manager
from websockets.sync.client import ClientConnection, connect

from kiosk.i18n import text
from sync.server.cli import cli
from sync.server.console.app import ConsoleApp
from sync.server.console.binding import COOKIE_NAME, FLET_LOGGERS
from sync.server.console.context import RECHECK_SECONDS
from tests.app.flet_harness import FakeBrowser
from tests.console.conftest import PASSWORD, code_for

AGENT = "Mozilla/5.0 (X11; Linux x86_64) the-victim's-browser"


def page_cookie(server: Any) -> str:
    """The cookie the console's page sets in a browser that has none."""
    answer = httpx.get(f"{server.url}/console/")
    header = answer.headers["set-cookie"]
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    value: str = header.split(";")[0].split("=", 1)[1]
    return value


class RawTab:
    """One WebSocket to /console/ws, speaking Flet's frames: [0x00][msgpack [action, body]]."""

    def __init__(self, server: Any, cookie: str | None) -> None:
        headers = {"User-Agent": AGENT}
        if cookie:
            headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
        url = server.url.replace("http://", "ws://") + "/console/ws"
        self.opened = ExitStack()
        self.ws: ClientConnection = self.opened.enter_context(
            connect(url, additional_headers=headers)
        )
        self.received: list[bytes] = []

    def send(self, action: MessageAction, body: dict[str, Any]) -> None:
        self.ws.send(b"\x00" + msgpack.packb([action.value, body]))

    def register(self, session_id: str | None) -> str:
        page = {"route": "/", "width": 1280, "height": 800}
        self.send(
            MessageAction.REGISTER_CLIENT,
            {"session_id": session_id, "page_name": "console", "page": page},
        )
        frame = self.ws.recv(timeout=30)
        assert isinstance(frame, bytes)
        self.received.append(frame)
        action, body = msgpack.unpackb(frame[1:], strict_map_key=False)
        assert action == MessageAction.REGISTER_CLIENT.value
        session: str = body["session_id"]
        return session

    def drain(self, seconds: float) -> bytes:
        """Everything the server sends within `seconds`, as one blob of bytes to search."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.ws.recv(timeout=left)
            except TimeoutError:
                break
            assert isinstance(frame, bytes)
            self.received.append(frame)
        return b"".join(self.received)

    def close(self) -> None:
        # Take what is on the way first, as a browser would: Flet drops a session it was still
        # writing to without marking it disconnected (so nothing could resume it then).
        self.drain(1.0)
        self.opened.close()


def console_tab(server: Any, session_id: str) -> Any:
    """The server's side of a tab: the ConsoleSession behind the Flet session `session_id`."""
    key = f"console_{session_id}_{sha1(AGENT)}"  # Flet's key; the address is dropped on loopback
    session = asyncio.run(app_manager.get_session(key))
    assert session is not None
    wait_for(lambda: session.page.on_connect is not None)  # the console's main has run
    return session.page.on_connect.__self__


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the console did not get there in time"
        time.sleep(0.05)


def sign_in_over_the_wire(server: Any, tab: RawTab, session_id: str, name: str) -> Any:
    """Type the name and password and click, as the browser's Flet client reports them."""
    console = console_tab(server, session_id)
    wait_for(lambda: console.route.path == "/signin" and console.page.controls)

    def find(kind: type, label: str) -> ft.Control:
        for control in walk(console.page):
            if isinstance(control, kind) and label in (
                getattr(control, "label", None),
                getattr(control, "content", None),
            ):
                return control
        raise LookupError(label)

    for label, value in (
        (text("console.signin.name"), name),
        (text("console.signin.password"), PASSWORD),
        (text("console.signin.code"), code_for(name)),
    ):
        field = find(ft.TextField, label)
        tab.send(MessageAction.UPDATE_CONTROL_PROPS, {"id": field._i, "props": {"value": value}})
    button = find(ft.Button, text("console.signin.submit"))
    tab.send(MessageAction.CONTROL_EVENT, {"target": button._i, "name": "click", "data": None})
    wait_for(lambda: console.ctx.user is not None)
    return console


def shown(console: Any) -> list[str]:
    return [c.value for c in walk(console.page) if isinstance(c, ft.Text) and c.value]


def walk(control: Any) -> Iterator[Any]:
    yield control
    for attribute in ("controls", "content"):
        child = getattr(control, attribute, None)
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, ft.Control):
                yield from walk(item)


@pytest.fixture
def staff_name(tab: Any) -> str:
    name: str = tab("supervisor").user.name
    return name


def test_a_staff_session_resumes_in_its_own_browser_and_never_by_its_id_alone(server, staff_name):
    cookie = page_cookie(server)
    first = RawTab(server, cookie)
    session_id = first.register(None)
    console = sign_in_over_the_wire(server, first, session_id, staff_name)
    first.close()
    # Disconnected: the tab shows nothing of what it held, until a reconnection is judged.
    wait_for(lambda: shown(console) == [text("console.reconnecting")])

    again = RawTab(server, cookie)  # the same browser, after a network cut: still signed in
    assert again.register(session_id) == session_id
    wait_for(lambda: console.route.path != "/signin" and console.ctx.user is not None)
    again.close()
    time.sleep(0.5)

    stranger = RawTab(server, None)  # the id and the User-Agent, without the browser's cookie
    assert stranger.register(session_id) == session_id
    seen = stranger.drain(3.0)
    stranger.close()
    assert console.ctx.user is None and console.route.path == "/signin"
    assert staff_name.encode() not in seen  # not even in the page handed back on reconnection
    assert text("console.session_ended").encode() in seen

    other = RawTab(server, page_cookie(server))  # another browser's cookie: no better
    assert other.register(session_id) == session_id
    other.close()
    assert console.ctx.user is None


def test_no_session_id_or_cookie_reaches_the_log_even_at_debug(server, staff_name, caplog):
    cookie = page_cookie(server)
    caplog.set_level(logging.WARNING, logger="websockets.client")  # this test's own client
    for name in FLET_LOGGERS:  # as if an operator lowered them: the ids must not show even then
        caplog.set_level(logging.DEBUG, logger=name)
    with caplog.at_level(logging.DEBUG):
        tab = RawTab(server, cookie)
        session_id = tab.register(None)
        sign_in_over_the_wire(server, tab, session_id, staff_name)
        tab.close()
        time.sleep(0.5)
        again = RawTab(server, cookie)
        again.register(session_id)
        again.close()
        time.sleep(0.5)
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert any(r.name.startswith("flet") for r in caplog.records)  # Flet did log meanwhile
    assert session_id not in logged and cookie not in logged


@pytest.fixture
def browser(server: Any) -> Iterator[FakeBrowser]:
    console = ConsoleApp(lambda: server.state, browser_of=lambda: "this-browser")
    opened = FakeBrowser(console.main)
    yield opened
    opened.close()


def signed_in(browser: FakeBrowser, name: str) -> None:
    browser.type_into(text("console.signin.name"), name)
    browser.type_into(text("console.signin.password"), PASSWORD)
    browser.type_into(text("console.signin.code"), code_for(name))
    browser.click(text("console.signin.submit"))
    assert text("console.sign_out") in [getattr(c, "content", None) for c in browser.controls()]


@pytest.mark.parametrize("change", ["new password", "disabled"])
def test_a_new_password_or_a_disabled_account_ends_a_session_at_its_next_step(
    server, browser, staff_name, change
):
    signed_in(browser, staff_name)
    # Through the command line, a process of its own sharing only the database.
    where = ["--db", server.settings.database_url, "--lang", "en"]
    if change == "new password":
        command = ["user", "password", staff_name, "--password-stdin", *where]
        done = CliRunner().invoke(cli, command, input="a-brand-new-passphrase\n")
    else:
        done = CliRunner().invoke(cli, ["user", "disable", staff_name, *where])
    assert done.exit_code == 0, done.output
    time.sleep(RECHECK_SECONDS)
    browser.click(text("console.nav.monitoring"))
    assert text("console.signin.heading") in browser.texts()
    assert text("console.session_ended") in browser.texts()


def test_an_admin_ends_another_accounts_sessions_and_it_is_signed_out_at_its_next_step(
    server, tab, staff_name
):
    console = ConsoleApp(lambda: server.state, browser_of=lambda: "this-browser")
    officer, admin = FakeBrowser(console.main), FakeBrowser(console.main)
    try:
        signed_in(officer, staff_name)
        signed_in(admin, tab("admin").user.name)
        admin.click(text("console.nav.users"))
        admin.click(text("console.users.end_sessions", name=staff_name))
        assert text("console.users.sessions_ended", name=staff_name) in admin.texts()
        time.sleep(RECHECK_SECONDS)
        officer.click(text("console.nav.monitoring"))
        assert text("console.signin.heading") in officer.texts()
        assert text("console.session_ended") in officer.texts()
        admin.click(text("console.nav.monitoring"))  # the admin's own session goes on
        assert text("console.monitoring.heading") in admin.texts()
        signed_in(officer, staff_name)  # and a new sign-in is not caught by the old end
    finally:
        officer.close()
        admin.close()
