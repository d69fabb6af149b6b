"""Monitoring per region and program stage: filters, a chart and a table per view, CSV downloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import monitoring
from sync.server.console.views.charts import bar_chart
from sync.server.console.views.widgets import (
    heading,
    message_line,
    say,
    say_filter_error,
    subheading,
    table,
)
from sync.server.errors import BadFilter

SaveCsv = Callable[[str, str], Awaitable[None]]


def monitoring_view(ctx: ConsoleContext, save_csv: SaveCsv) -> ft.Control:
    screen = monitoring.MonitoringScreen()
    fields = {
        name: ft.TextField(
            label=ctx.t(f"console.monitoring.{name}"),
            hint_text=ctx.t(f"console.monitoring.{name}_hint"),
            width=200,
        )
        for name in monitoring.FILTER_FIELDS
    }
    message = message_line()
    results = ft.Column()

    def draw() -> None:
        check_field = ctx.t("console.monitoring.check_field")
        if say_filter_error(message, fields, screen, check_field):
            return  # the last good tables stay on screen under the error
        say(message, ctx.t("console.monitoring.shown", count=len(screen.tables)))
        results.controls = [panel(view) for view in screen.tables]

    def panel(view: monitoring.TableView) -> ft.Control:
        parts: list[ft.Control] = [subheading(view.title)]
        if view.bars:
            parts.append(bar_chart(view.chart_caption, view.bars))
        parts.append(
            table(view.headers, view.cells) if view.cells else ft.Text(ctx.t("console.empty"))
        )
        if monitoring.can_export(ctx):
            parts.append(
                ft.Button(
                    content=ctx.t("console.monitoring.download", title=view.title),
                    icon=ft.Icons.DOWNLOAD,
                    on_click=downloader(view.key),
                )
            )
        return ft.Container(ft.Column(parts), padding=ft.Padding.only(bottom=24))

    def downloader(key: str) -> Callable[[Any], Awaitable[None]]:
        async def download(_: Any) -> None:
            try:
                name, content = monitoring.csv_download(ctx, screen, key)
            except BadFilter as exc:
                say(message, ctx.error_text(exc), error=True)
                message.update()
                return
            await save_csv(name, content)
            say(message, ctx.t("console.monitoring.downloaded", name=name))
            message.update()

        return download

    def apply(_: Any) -> None:
        screen.form = {name: box.value or "" for name, box in fields.items()}
        monitoring.load(ctx, screen)
        draw()

    for box in fields.values():
        box.on_submit = apply
    monitoring.load(ctx, screen)
    draw()
    return ft.Column(
        [
            heading(ctx.t("console.monitoring.heading")),
            ft.Row(list(fields.values()), wrap=True),
            ft.Button(content=ctx.t("console.monitoring.apply"), on_click=apply),
            message,
            results,
        ]
    )
