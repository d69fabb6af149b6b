"""The sign-in screen: name, password and one-time code; one sentence for any miss, the lockout
said in words.

The code is asked on the same screen as the password, not after it: a second step shown only
after a right password would tell a guesser the password was right. Accounts without TOTP leave
the field empty (whatever is typed there is not looked at).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.views.widgets import heading, message_line, refresh, say

SignIn = Callable[[str, str, str], Awaitable[tuple[bool, str]]]


def signin_view(ctx: ConsoleContext, navigate: Any, sign_in: SignIn) -> ft.Control:
    notice = ctx.take_notice()
    name = ft.TextField(label=ctx.t("console.signin.name"), autofocus=True, width=360)
    password = ft.TextField(label=ctx.t("console.signin.password"), password=True, width=360)
    code = ft.TextField(
        label=ctx.t("console.signin.code"),  # the label is what a screen reader names
        width=360,
        max_length=8,  # six digits, and room for a space someone types in the middle
        keyboard_type=ft.KeyboardType.NUMBER,
        autofill_hints=[ft.AutofillHint.ONE_TIME_CODE],
    )
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
            ok, sentence = await sign_in(name.value or "", password.value or "", code.value or "")
        finally:
            in_flight = False
        if ok:
            navigate("/home")
            return
        password.value = ""  # never leave a wrong password in the field
        code.value = ""  # nor a code: it is good for one use only anyway
        say(message, sentence, error=True)
        refresh(password, code, message)

    async def to_password(_: Any) -> None:
        await password.focus()

    name.on_submit = to_password
    password.on_submit = submit
    code.on_submit = submit
    return ft.Column(
        [
            heading(ctx.t("console.signin.heading")),
            name,
            password,
            code,
            ft.Button(content=ctx.t("console.signin.submit"), on_click=submit),
            message,
        ],
        width=420,
    )
