"""The console's shell: one `ConsoleSession` per browser tab, routing between screens by role.

`ConsoleApp.main` is what Flet calls for each new tab; screens are chosen by `models.navigation`,
so what a role may open is decided (and tested) without a browser.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import flet as ft

from kiosk.i18n import LANGUAGES
from sync.server.console.binding import current_browser
from sync.server.console.context import IDLE_SECONDS, ConsoleContext
from sync.server.console.models.navigation import Route, home_route, parse_route, screens_for
from sync.server.console.models.signin import SignInGuard, guarded_attempt
from sync.server.console.views import screens
from sync.server.staff.accounts import StaffUser, password_changed_at
from sync.server.state import ServerState

IDLE_CHECK_SECONDS = 10.0


class ConsoleApp:
    """The console for one server process; `state_of` reaches the state the lifespan built."""

    def __init__(
        self,
        state_of: Callable[[], ServerState],
        *,
        idle_seconds: float = IDLE_SECONDS,
        browser_of: Callable[[], str | None] = current_browser,
    ) -> None:
        self.state_of = state_of
        self.idle_seconds = idle_seconds
        self.browser_of = browser_of  # which browser (its cookie's digest) the event came from
        self.sign_ins = SignInGuard()  # shared by every tab: rate limits and hashing threads
        self.sessions_ended: dict[int, float] = {}  # account id -> when an admin ended them

    def end_sessions_of(self, user: StaffUser) -> None:
        """Every tab of `user` signed in until now is signed out at its next step."""
        self.sessions_ended[user.id] = time.monotonic()

    async def main(self, page: ft.Page) -> None:
        ConsoleSession(self, page, ConsoleContext(self.state_of)).start()

    def close(self) -> None:
        self.sign_ins.close()


class ConsoleSession:
    """One open tab: the screen it shows and the staff member signed in on it."""

    def __init__(self, app: ConsoleApp, page: ft.Page, ctx: ConsoleContext) -> None:
        self.app, self.page, self.ctx = app, page, ctx
        self.route = Route("/signin")
        self.browser: str | None = None  # the browser the staff member signed in from
        self.signed_in_at = -math.inf
        ctx.session_holds = self.holds
        ctx.end_sessions_of = app.end_sessions_of
        self.file_saver = ft.FilePicker()  # CSV downloads: the browser saves bytes, offline

    def start(self) -> None:
        self.page.title = self.ctx.t("console.title")
        self.page.services.append(self.file_saver)
        self.page.on_keyboard_event = lambda _: self.ctx.touch()
        self.page.on_disconnect = self.hide
        self.page.on_connect = self.resume
        self.page.run_task(self.watch_idle)
        self.navigate("/signin")

    def holds(self, user: StaffUser) -> bool:
        """Whether the staff session still stands: the same browser drives the tab, the account
        is active and its password unchanged since the sign-in. When not, the tab signs out."""
        same_browser = self.browser is not None and self.app.browser_of() == self.browser
        ended = self.app.sessions_ended.get(user.id, -math.inf) >= self.signed_in_at
        if (
            same_browser
            and not ended
            and password_changed_at(self.ctx.db, user) == self.ctx.password_changed_at
        ):
            return True
        self.browser = None
        self.ctx.notice = self.ctx.t("console.session_ended")
        self.page.run_task(self.back_to_signin)
        return False

    async def back_to_signin(self) -> None:
        if self.route.path != "/signin":
            self.navigate("/signin")

    def hide(self, _: Any = None) -> None:
        # The tab's session outlives its connection for a while, and whoever reconnects to it
        # is first sent the page as it stands: it must hold nothing by then.
        self.page.controls = [ft.Text(self.ctx.t("console.reconnecting"))]

    def resume(self, _: Any = None) -> None:
        self.ctx.recheck()  # from another browser, or after the password changed: signed out
        self.navigate(self.route.target)

    def navigate(self, target: str) -> None:
        """Show `target`; a screen the signed-in role may not open falls back to its home."""
        self.ctx.touch()
        route = parse_route(target)
        self.ctx.recheck()  # disabled, a new password, another browser: out at the next step
        if self.ctx.user is None:
            route = Route("/signin")
        elif route.path == "/signin" or route.path not in {
            screen.route for screen in screens_for(self.ctx.user.role)
        }:
            route = parse_route(home_route(self.ctx.user.role))
        self.route = route
        self.page.controls = [self.frame(self.body(route))]
        self.page.update()

    def body(self, route: Route) -> ft.Control:
        return screens.build(route, self.ctx, self.navigate, self)

    def frame(self, body: ft.Control) -> ft.Control:
        """The top bar (title, who is signed in, the screens of the role, language) over a screen."""
        ctx = self.ctx
        bar: list[ft.Control] = [
            ft.Text(ctx.t("console.title"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Button(content=ctx.t("console.language_switch"), on_click=self.switch_language),
        ]
        if ctx.user is not None:
            role = ctx.t(f"console.role.{ctx.user.role}")
            bar.append(ft.Text(ctx.t("console.signed_in_as", name=ctx.user.name, role=role)))
            for screen in screens_for(ctx.user.role):
                bar.append(
                    ft.Button(
                        content=ctx.t(screen.label_key),
                        on_click=self.go(screen.route),
                        disabled=screen.route == self.route.path,
                    )
                )
            bar.append(ft.Button(content=ctx.t("console.sign_out"), on_click=self.sign_out))
        return ft.Column(
            [ft.Row(bar, wrap=True), ft.Divider(), body], expand=True, scroll=ft.ScrollMode.AUTO
        )

    def go(self, route: str) -> Callable[[Any], None]:
        return lambda _: self.navigate(route)

    def switch_language(self, _: Any) -> None:
        self.ctx.lang = next(lang for lang in LANGUAGES if lang != self.ctx.lang)
        self.page.title = self.ctx.t("console.title")
        self.navigate(self.route.target)

    async def sign_in(self, name: str, password: str, code: str = "") -> tuple[bool, str]:
        browser = self.app.browser_of()
        if browser is None:  # no cookie: plain http to another machine, or no browser at all
            return False, self.ctx.t("console.signin.no_cookie")
        self.browser = browser
        address = self.page.client_ip or "unknown"
        self.signed_in_at = time.monotonic()
        return await guarded_attempt(self.ctx, self.app.sign_ins, address, name, password, code)

    def sign_out(self, _: Any = None) -> None:
        self.ctx.user, self.browser = None, None
        self.navigate("/signin")

    async def save_csv(self, file_name: str, content: str) -> None:
        """Hand `content` to the browser as a download (a Blob; nothing leaves this machine)."""
        await self.file_saver.save_file(file_name=file_name, src_bytes=content.encode("utf-8"))

    async def watch_idle(self) -> None:
        # A console left open on a shared desk shows complainants' cases: lock it after a while.
        while True:
            await asyncio.sleep(min(IDLE_CHECK_SECONDS, self.app.idle_seconds))
            if self.ctx.user is not None and self.ctx.is_idle(limit=self.app.idle_seconds):
                self.ctx.user = None
                self.ctx.notice = self.ctx.t("console.idle_locked")
                self.navigate("/signin")
