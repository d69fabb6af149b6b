"""The officer's sign-in screen: name and PIN, one sentence for any miss, a countdown while locked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import flet as ft

from kiosk.services.clock import Clock, system_clock
from kiosk.services.officers import SignIn, sign_in
from kiosk.views.shell import AppContext, Navigate, acting, heading


def sign_in_message(ctx: AppContext, result: SignIn, seconds_locked: int) -> str:
    """The sentence under the PIN field for one attempt's outcome.

    No count of attempts left: a wrong PIN and a name that is no officer read the same.
    """
    if result.code == "officer.login.locked":
        minutes, seconds = divmod(seconds_locked, 60)
        return ctx.t("officer.login.locked", minutes=minutes, seconds=seconds)
    return ctx.t(result.code)


def attempt(
    ctx: AppContext, name: str, pin: str, clock: Clock = system_clock
) -> tuple[SignIn, str]:
    """Try to sign in; on success the context holds the officer. Returns the result and message."""
    result = sign_in(ctx.kiosk, name, pin, clock=clock)
    if result.ok:
        ctx.officer = result.officer
    return result, sign_in_message(ctx, result, result.seconds_locked(clock()))


def officer_login_view(
    ctx: AppContext, navigate: Navigate, run_task: Callable[..., Any] | None = None
) -> ft.Control:
    notice = ctx.take_notice()
    name = ft.TextField(label=ctx.t("officer.login.name"), autofocus=True)

    def pin_field() -> ft.TextField:
        return ft.TextField(
            label=ctx.t("officer.login.pin"),
            password=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            on_submit=acting(ctx, submit),
        )

    message = ft.Text(notice or "", color=ft.Colors.ERROR if notice else None)

    async def countdown(result: SignIn) -> None:
        # Count down on screen so the officer knows when to try again.
        while True:
            left = result.seconds_locked(system_clock())
            message.value = sign_in_message(ctx, result, left)
            message.update()
            if left <= 0:
                return
            await asyncio.sleep(1)

    async def submit(_: Any) -> None:
        result, sentence = attempt(ctx, name.value or "", fields["pin"].value or "")
        if result.ok:
            navigate("/verify")
            return
        # A new, empty field: Flet 1.0 does not send a typed value set back to "" to the browser.
        fields["pin"] = pin_field()
        column.controls[2] = fields["pin"]
        message.value = sentence
        message.color = ft.Colors.ERROR
        column.update()
        if result.locked_until is not None and run_task is not None:
            run_task(countdown, result)
        else:
            await fields["pin"].focus()

    async def to_pin(_: Any) -> None:
        await fields["pin"].focus()

    fields = {"pin": pin_field()}
    name.on_submit = acting(ctx, to_pin)
    column = ft.Column(
        [
            heading(ctx.t("officer.login.heading")),
            name,
            fields["pin"],
            ft.Button(content=ctx.t("officer.login.submit"), on_click=acting(ctx, submit)),
            message,
        ],
        width=420,
    )
    return column
