"""The Flet app for the officer's counter: routing, sign-in and idle lock, language, large text, sync.

`build_app(data_dir)` returns the `main(page)` that `ft.run` (or a test harness) calls per session;
`serve(...)` runs it: a desktop window where a desktop client exists, else the browser view.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flet as ft

from kiosk.assets import assets_dir
from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.errors import InputError
from kiosk.i18n import LANGUAGES
from kiosk.services.handheld import HandheldScanner
from kiosk.services.submissions import forget_orphan_photos
from kiosk.services.sync import HttpFactory, build_http_client
from kiosk.services.sync_supervisor import SupervisorSettings, SyncSupervisor
from kiosk.settings import DeviceSettings, load_device_settings
from kiosk.views.handheld import ScannerListener
from kiosk.views.officer_login import officer_login_view
from kiosk.views.shell import IDLE_SECONDS, AppContext, acting, frame, text_theme
from kiosk.views.submissions_list import submissions_list_view
from kiosk.views.sync_panel import sync_panel_view
from kiosk.views.verify import verify_view
from kiosk.views.verify_form import VerifyForm

IDLE_CHECK_SECONDS = 5.0
log = logging.getLogger(__name__)


class KioskApp:
    """One process's app: its database, its background sync, and the `main` for each session."""

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        lang: str = LANGUAGES[0],
        background_sync: bool = True,
        sync_interval: float = 60.0,
        http_factory: HttpFactory = build_http_client,
        idle_seconds: float = IDLE_SECONDS,
        selfcheck: bool = False,
    ) -> None:
        self.data_dir = data_dir
        # A self-check kiosk is locked down: beneficiary screens only, no officer menus.
        self.selfcheck = selfcheck
        self.lang = lang
        self.background_sync = background_sync
        self.sync_interval = sync_interval
        self.http_factory = http_factory
        self.idle_seconds = idle_seconds
        # One per process: each browser session shares it instead of starting its own.
        self.sync = SyncSupervisor(
            lambda: open_kiosk(self.kiosk.data_dir),
            SupervisorSettings(interval=sync_interval, http_factory=http_factory),
        )
        self.monitor = self.sync.monitor
        self._kiosk: Kiosk | None = None

    @property
    def kiosk(self) -> Kiosk:
        if self._kiosk is None:  # opened on the first session, never at import or construction
            self._kiosk = open_kiosk(self.data_dir)
        return self._kiosk

    def close(self) -> None:
        self.sync.stop()
        if self._kiosk is not None:
            self._kiosk.close()

    def device_settings(self) -> DeviceSettings:
        """`<data-dir>/settings.toml`, read per session: a changed file counts from the next page
        load. A broken one is logged (path and key only) and the defaults used, so a typo never
        locks the counter."""
        try:
            return load_device_settings(self.kiosk.data_dir)
        except InputError as exc:
            log.warning("settings ignored, defaults used: %s", exc)
            return DeviceSettings()

    def scanner_listener(self, page: ft.Page, settings: DeviceSettings) -> ScannerListener:
        try:
            scanner = HandheldScanner(self.kiosk, settings.scanner)
        except InputError as exc:
            log.warning("scanner settings ignored, defaults used: %s", exc)
            scanner = HandheldScanner(self.kiosk)
        return ScannerListener(scanner, page.run_task, page.update)

    def _start_sync(self) -> None:
        if self.background_sync:
            self.sync.start()

    async def main(self, page: ft.Page) -> None:
        if self.selfcheck:
            self._mount_selfcheck(page)
            self._start_sync()
            return
        ctx = AppContext(kiosk=self.kiosk, lang=self.lang)
        settings = self.device_settings()
        ctx.extras.update(
            sync_supervisor=self.sync,
            run_thread=page.run_thread,
            record_saved=self.sync.poke,
            device_settings=settings,
            scanner=self.scanner_listener(page, settings),
        )
        Session(self, page, ctx).start()
        self._start_sync()

    def _mount_selfcheck(self, page: ft.Page) -> None:
        """Beneficiary screens only, navigated by route (/selfcheck, /complaint, /survey)."""
        from kiosk.views.selfcheck import screen_for_route

        settings = self.device_settings()
        scanner = self.scanner_listener(page, settings)
        page.on_keyboard_event = scanner.on_key

        def navigate(route: str) -> None:
            page.run_task(page.push_route, route)

        def show(_: object = None) -> None:
            route = page.route if page.route not in ("", "/") else f"/selfcheck?lang={self.lang}"
            scanner.target = None  # only the screen on show hears the scanner
            control = screen_for_route(
                route, self.kiosk, navigate, scanner=scanner, camera=settings.camera
            )
            page.views.clear()
            page.views.append(
                ft.View(route=route, controls=[control] if control else [], padding=0)
            )
            page.update()

        page.title = "Lengkap"
        page.on_route_change = show
        show()


class Session:
    """One open screen: which route it shows and the officer signed in on it."""

    def __init__(self, app: KioskApp, page: ft.Page, ctx: AppContext) -> None:
        self.app, self.page, self.ctx = app, page, ctx
        self.route = "/login"
        # What the officer typed outlives the screen's controls: a language or text-size switch
        # rebuilds them from this.
        self.verify_form: VerifyForm | None = None

    def start(self) -> None:
        self.page.title = self.ctx.t("app.title")
        self.page.theme = text_theme(self.ctx.large_text)
        self.page.on_keyboard_event = self.on_key
        self.page.on_close = lambda _: self.app.monitor.forget(self.ctx)
        self.page.run_task(self.watch_idle)
        self.navigate("/login")

    async def on_key(self, event: ft.KeyboardEvent) -> None:
        self.ctx.touch()
        await self.ctx.extras["scanner"].on_key(event)

    def navigate(self, route: str) -> None:
        """Show `route`; every screen but the sign-in needs a signed-in officer."""
        self.ctx.touch()
        if route != "/login" and not self.ctx.officer:
            route = "/login"
        self.route = route
        self.ctx.extras["scanner"].target = None  # only the screen on show hears the scanner
        self.app.monitor.forget(self.ctx)  # only a visible panel listens
        self.page.controls = [frame(self.ctx, self.body(route), self.actions())]
        self.page.update()

    def form(self) -> VerifyForm:
        if self.verify_form is None:
            self.verify_form = VerifyForm(self.ctx)
        return self.verify_form

    def sign_out(self, notice: str | None = None) -> None:
        """Forget the officer and everything typed for the last person."""
        self.ctx.officer = None
        self.verify_form = None
        self.ctx.notice = notice
        self.navigate("/login")

    def body(self, route: str) -> ft.Control:
        views: dict[str, Callable[[], ft.Control]] = {
            "/login": lambda: officer_login_view(self.ctx, self.navigate, self.page.run_task),
            "/verify": lambda: verify_view(self.ctx, self.navigate, self.form()),
            "/submissions": lambda: submissions_list_view(self.ctx, self.navigate),
            "/sync": lambda: sync_panel_view(self.ctx, self.navigate),
        }
        return views.get(route, views["/login"])()

    def actions(self) -> dict[str, Callable[..., Any]]:
        def go(route: str) -> Callable[[Any], None]:
            return acting(self.ctx, lambda _: self.navigate(route))

        def switch_language(_: Any) -> None:
            others = [lang for lang in LANGUAGES if lang != self.ctx.lang]
            self.ctx.lang = others[0]
            self.page.title = self.ctx.t("app.title")
            self.navigate(self.route)

        def large_text(event: Any) -> None:
            self.ctx.large_text = bool(event.control.value)
            self.page.theme = text_theme(self.ctx.large_text)
            self.navigate(self.route)

        return {
            "language": acting(self.ctx, switch_language),
            "large_text": acting(self.ctx, large_text),
            "sign_out": acting(self.ctx, lambda _: self.sign_out()),
            **{route: go(route) for route in ("/verify", "/submissions", "/sync")},
        }

    async def watch_idle(self) -> None:
        # A counter left signed in is open to anyone walking by: lock it after a quiet while.
        while True:
            await asyncio.sleep(min(IDLE_CHECK_SECONDS, self.app.idle_seconds))
            if self.ctx.officer and self.ctx.is_idle(limit=self.app.idle_seconds):
                self.sign_out(self.ctx.t("app.idle_locked"))


def build_app(data_dir: str | Path | None = None, **options: Any) -> Callable[[ft.Page], Any]:
    """The `main(page)` for ft.run or a test harness, on the data folder `data_dir`."""
    return KioskApp(data_dir, **options).main


def desktop_available() -> bool:
    """A desktop window needs flet-desktop's client and a display; otherwise serve the web view."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return has_display and importlib.util.find_spec("flet_desktop") is not None


def serve(
    data_dir: str | Path | None = None,
    *,
    web: bool = False,
    host: str = "127.0.0.1",
    port: int = 8550,
    open_browser: bool = True,
    lang: str = LANGUAGES[0],
    selfcheck: bool = False,
    sync_interval: float = 60.0,
) -> None:
    """Run the app until closed: bound to `host` only, and never fetching anything from a CDN."""
    kiosk = open_kiosk(data_dir)
    try:
        forget_orphan_photos(kiosk)
    finally:
        kiosk.close()
    app = KioskApp(data_dir, lang=lang, selfcheck=selfcheck, sync_interval=sync_interval)
    use_web = web or not desktop_available()
    if use_web and not open_browser:
        os.environ["FLET_FORCE_WEB_SERVER"] = "1"  # serve only: tests and headless kiosks
    try:
        ft.run(
            app.main,
            host=host,
            port=port,
            view=ft.AppView.WEB_BROWSER if use_web else ft.AppView.FLET_APP,
            assets_dir=str(assets_dir()),
            no_cdn=True,
        )
    finally:
        app.close()


def main(page: ft.Page) -> Any:
    """Entry for `flet run` or a harness: the app on $KIOSK_DATA_DIR (or the user data folder)."""
    return build_app()(page)
