"""The admin's users screen: every account with its role and status; add one, disable one, end
one's console sessions."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import users
from sync.server.console.views.widgets import (
    Choice,
    heading,
    message_line,
    say,
    subheading,
)


def users_view(ctx: ConsoleContext) -> ft.Control:
    listing = ft.Column()
    message = message_line()
    form = ft.Column()
    fields: dict[str, Any] = {}

    def draw_form(name: str = "", role: str | None = None) -> None:
        # Fresh fields each time: a field the browser typed into keeps showing its text when only
        # its value is reset (Flet 1.0.5), and a password must not stay on screen.
        fields.update(
            name=ft.TextField(label=ctx.t("console.users.name"), value=name, width=320),
            role=Choice(ctx.t("console.users.role"), users.role_options(ctx), role),
            password=ft.TextField(label=ctx.t("console.users.password"), password=True, width=320),
            again=ft.TextField(
                label=ctx.t("console.users.password_again"), password=True, width=320
            ),
        )
        form.controls = [
            *fields.values(),
            ft.Button(content=ctx.t("console.users.add"), on_click=add),
        ]

    def load() -> None:
        lines = users.user_lines(ctx)
        listing.controls = [
            ft.Row(
                [
                    ft.Text(f"{line.name} · {line.role} · {line.status}", expand=True),
                    ft.Button(
                        content=ctx.t("console.users.disable", name=line.name),
                        on_click=disable_handler(line.name),
                        disabled=line.disabled
                        or (ctx.user is not None and line.name == ctx.user.name),
                    ),
                    ft.Button(
                        content=ctx.t("console.users.end_sessions", name=line.name),
                        on_click=end_sessions_handler(line.name),
                        disabled=line.disabled
                        or (ctx.user is not None and line.name == ctx.user.name),
                    ),
                ]
            )
            for line in lines
        ] or [ft.Text(ctx.t("console.empty"))]

    def disable_handler(who: str) -> Any:
        def handler(_: Any) -> None:
            ok, sentence = users.disable(ctx, who)
            say(message, sentence, error=not ok)
            load()

        return handler

    def end_sessions_handler(who: str) -> Any:
        def handler(_: Any) -> None:
            ok, sentence = users.end_sessions(ctx, who)
            say(message, sentence, error=not ok)

        return handler

    def add(_: Any) -> None:
        name, role = fields["name"].value or "", fields["role"].picked
        ok, sentence = users.add(
            ctx, name, role or "", fields["password"].value or "", fields["again"].value or ""
        )
        say(message, sentence, error=not ok)
        if ok:
            load()
            draw_form()
        else:
            draw_form(name, role)  # the name and role stay for correcting; the passwords go

    load()
    draw_form()
    return ft.Column(
        [
            heading(ctx.t("console.users.heading")),
            listing,
            ft.Divider(),
            subheading(ctx.t("console.users.add_heading")),
            form,
            message,
        ]
    )
