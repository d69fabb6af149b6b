"""The sign-in screen: name and password; one sentence for any miss, the lockout said in words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.views.widgets import heading, message_line, refresh, say

SignIn = Callable[[str, str], Awaitable[tuple[bool, str]]]


def signin_view(ctx: ConsoleContext, navigate: Any, sign_in: SignIn) -> ft.Control:
    notice = ctx.take_notice()
    name = ft.TextField(label=ctx.t("console.signin.name"), autofocus=True, width=360)
    password = ft.TextField(label=ctx.t("console.signin.password"), password=True, width=360)
    message = message_line()
    if notice:
        say(message, notice, error=True)

    in_flight = False

    async def submit(_: Any) -> None:
        # Awaited, so the password hash runs off the event loop that also serves devices; one
        # attempt at a time per tab (a second click meanwhile is ignored, not queued).
        nonlocal in_flight
        if in_flight:
            return
        in_flight = True
        try:
            ok, sentence = await sign_in(name.value or "", password.value or "")
        finally:
            in_flight = False
        if ok:
            navigate("/home")
            return
        password.value = ""  # never leave a wrong password in the field
        say(message, sentence, error=True)
        refresh(password, message)

    async def to_password(_: Any) -> None:
        await password.focus()

    name.on_submit = to_password
    password.on_submit = submit
    return ft.Column(
        [
            heading(ctx.t("console.signin.heading")),
            name,
            password,
            ft.Button(content=ctx.t("console.signin.submit"), on_click=submit),
            message,
        ],
        width=420,
    )
