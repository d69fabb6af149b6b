"""The complaints queue: ordered by SLA due date, overdue highlighted, escalated marked, filters."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import complaints
from sync.server.console.views.widgets import (
    Choice,
    checkbox,
    heading,
    message_line,
    say,
    say_filter_error,
    table_header,
)
from sync.server.staff.roles import Action

OVERDUE_BACKGROUND = ft.Colors.ERROR_CONTAINER
ESCALATED_BACKGROUND = ft.Colors.TERTIARY_CONTAINER


def complaints_view(ctx: ConsoleContext, navigate: Any, save_csv: Any) -> ft.Control:
    screen = complaints.QueueScreen()
    state = Choice(ctx.t("console.queue.state"), complaints.state_options(ctx), "open")
    category = Choice(
        ctx.t("console.queue.category"),
        [("", ctx.t("console.queue.any")), *complaints.category_options(ctx)],
        "",
    )
    area = ft.TextField(label=ctx.t("console.queue.area_prefix"), hint_text="31.74", width=200)
    overdue = checkbox(ctx.t("console.queue.overdue_only"))
    escalated = checkbox(ctx.t("console.queue.escalated_only"))
    message = message_line()
    listing = ft.Column(spacing=2)

    def line_row(line: complaints.QueueLine) -> ft.Control:
        background = None
        if line.overdue:
            background = OVERDUE_BACKGROUND
        elif line.escalated:
            background = ESCALATED_BACKGROUND
        cells = [
            ft.Button(
                content=ctx.t("console.open", number=line.number),
                on_click=lambda _, n=line.number: navigate(f"/complaints/{n}"),
                width=230,
            ),
            ft.Text(line.due, width=150),
            ft.Text(line.flags(ctx), width=140, weight=ft.FontWeight.BOLD),
            ft.Text(line.state, width=120),
            ft.Text(line.category, width=200),
            ft.Text(line.severity, width=80),
            ft.Text(line.handler, width=140),
            ft.Text(line.area, width=90),
        ]
        return ft.Container(ft.Row(cells), bgcolor=background, padding=4)

    def draw() -> None:
        check_field = ctx.t("console.monitoring.check_field")
        if say_filter_error(message, {"area_prefix": area}, screen, check_field):
            return
        say(message, ctx.t("console.queue.count", count=len(screen.lines)))
        header = table_header(
            [
                (ctx.t("console.queue.number"), 230),
                (ctx.t("console.queue.due"), 150),
                (ctx.t("console.queue.flags"), 140),
                (ctx.t("console.queue.state"), 120),
                (ctx.t("console.queue.category"), 200),
                (ctx.t("console.queue.severity"), 80),
                (ctx.t("console.queue.handler"), 140),
                (ctx.t("console.queue.area"), 90),
            ]
        )
        listing.controls = [header, *(line_row(line) for line in screen.lines)]

    def apply(_: Any = None) -> None:
        screen.form = {
            "state": state.picked or complaints.OPEN_STATES,
            "category": category.picked or "",
            "area_prefix": area.value or "",
            "overdue_only": "yes" if overdue.value else "",
            "escalated_only": "yes" if escalated.value else "",
        }
        complaints.load_queue(ctx, screen)
        draw()

    async def download(_: Any) -> None:
        name, content = complaints.queue_csv(ctx, screen)
        await save_csv(name, content)
        say(message, ctx.t("console.monitoring.downloaded", name=name))
        message.update()

    export = ft.Button(
        content=ctx.t("console.queue.download"),
        icon=ft.Icons.DOWNLOAD,
        on_click=download,
        visible=ctx.user is not None and ctx.user.can(Action.EXPORT),
    )
    area.on_submit = apply
    apply()
    return ft.Column(
        [
            heading(ctx.t("console.queue.heading")),
            state,
            category,
            ft.Row([area, overdue, escalated], wrap=True),
            ft.Row([ft.Button(content=ctx.t("console.queue.apply"), on_click=apply), export]),
            message,
            listing,
        ]
    )
