"""What every officer screen shares: the app context (services, language, officer) and the frame.

Views receive an `AppContext` (their services) and a `navigate` callback, nothing else; the frame
holds the language switch, the large-text setting and the navigation buttons.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from kiosk.bootstrap import Kiosk
from kiosk.errors import KioskError
from kiosk.i18n import LANGUAGES, text

Navigate = Callable[[str], None]
IDLE_SECONDS = 300.0  # five minutes without input locks the counter
LARGE_TEXT_SCALE = 1.4

ROUTES = ("/login", "/verify", "/submissions", "/sync")


@dataclass
class AppContext:
    """The services a view may use and the session's settings; one per open browser tab."""

    kiosk: Kiosk
    lang: str = LANGUAGES[0]
    large_text: bool = False
    officer: str | None = None
    last_input: float = field(default_factory=time.monotonic)
    notice: str | None = None  # a sentence the next screen shows once (e.g. "locked when idle")
    extras: dict[str, Any] = field(default_factory=dict)  # app-level services (sync monitor)

    def t(self, code: str, **params: Any) -> str:
        return text(code, self.lang, **params)

    def error_text(self, exc: KioskError) -> str:
        return text(exc.code, self.lang, detail=exc.detail, **exc.params)

    def touch(self) -> None:
        self.last_input = time.monotonic()

    def is_idle(self, now: float | None = None, limit: float = IDLE_SECONDS) -> bool:
        return (now if now is not None else time.monotonic()) - self.last_input >= limit

    def take_notice(self) -> str | None:
        notice, self.notice = self.notice, None
        return notice

    def texts(self, value: dict[str, str] | Any) -> str:
        """A {"id": ..., "en": ...} text from the rules, in the session's language."""
        return value.get(self.lang) or next(iter(value.values()), "")


def acting(ctx: AppContext, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event handler so that any input keeps the idle lock away."""

    if inspect.iscoroutinefunction(handler):

        async def run_async(event: Any) -> Any:
            ctx.touch()
            return await handler(event)

        return run_async

    def run(event: Any) -> Any:
        ctx.touch()
        return handler(event)

    return run


def heading(value: str) -> ft.Text:
    return ft.Text(value, theme_style=ft.TextThemeStyle.HEADLINE_SMALL)


def text_theme(large: bool) -> ft.Theme:
    """Material's sizes, scaled up for the large-text setting (every Text uses theme styles)."""
    scale = LARGE_TEXT_SCALE if large else 1.0
    sizes = {
        "headline_small": 24,
        "title_medium": 16,
        "body_large": 16,
        "body_medium": 14,
        "body_small": 12,
        "label_large": 14,
    }
    return ft.Theme(
        text_theme=ft.TextTheme(
            **{name: ft.TextStyle(size=round(size * scale)) for name, size in sizes.items()}
        )
    )


def frame(ctx: AppContext, body: ft.Control, actions: dict[str, Callable[..., Any]]) -> ft.Control:
    """The top bar (language, large text, navigation when signed in) over one screen's body."""
    bar: list[ft.Control] = [
        ft.Text(ctx.t("app.title"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Button(content=ctx.t("app.language_switch"), on_click=actions["language"]),
        ft.Switch(
            label=ctx.t("app.large_text"), value=ctx.large_text, on_change=actions["large_text"]
        ),
    ]
    if ctx.officer:
        bar += [
            ft.Text(ctx.t("app.signed_in_as", name=ctx.officer)),
            ft.Button(content=ctx.t("app.nav_verify"), on_click=actions["/verify"]),
            ft.Button(content=ctx.t("app.nav_submissions"), on_click=actions["/submissions"]),
            ft.Button(content=ctx.t("app.nav_sync"), on_click=actions["/sync"]),
            ft.Button(content=ctx.t("app.sign_out"), on_click=actions["sign_out"]),
        ]
    return ft.Column(
        [ft.Row(bar, wrap=True), ft.Divider(), body],
        expand=True,
        scroll=ft.ScrollMode.AUTO,
    )
