"""The submission review queue: waiting longest first, with filters and the mismatch flag."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import review
from sync.server.console.models.labels import label
from sync.server.console.views.widgets import (
    Choice,
    checkbox,
    heading,
    message_line,
    say,
    say_filter_error,
    table_header,
)

COLUMNS = (("number", 230), ("program", 130), ("state", 150), ("complete", 80), ("mismatch", 110),
           ("disbursement", 130), ("received", 150), ("area", 90))  # fmt: skip


def review_view(ctx: ConsoleContext, navigate: Any) -> ft.Control:
    screen = review.ReviewScreen()
    state = Choice(
        ctx.t("console.review.state"),
        [(s, label("console.state", s, ctx.lang)) for s in review.STATES],
        "synced",
    )
    fields = {
        name: ft.TextField(
            label=ctx.t(f"console.monitoring.{name}"),
            hint_text=ctx.t(f"console.monitoring.{name}_hint"),
            width=180,
        )
        for name in ("program", "stage", "area_prefix")
    }
    mismatch = checkbox(ctx.t("console.review.mismatch_only"))
    incomplete = checkbox(ctx.t("console.review.incomplete_only"))
    message = message_line()
    listing = ft.Column(spacing=2)

    def line_row(line: review.ReviewLine) -> ft.Control:
        values = [
            line.program,
            line.state,
            line.complete,
            ctx.t("console.review.mismatch") if line.mismatch else "",
            line.disbursement,
            line.received,
            line.area,
        ]
        return ft.Container(
            ft.Row(
                [
                    ft.Button(
                        content=ctx.t("console.open", number=line.number),
                        on_click=lambda _, n=line.number: navigate(f"/review/{n}"),
                        width=COLUMNS[0][1],
                    ),
                    *(
                        ft.Text(value, width=width)
                        for value, (_, width) in zip(values, COLUMNS[1:], strict=True)
                    ),
                ]
            ),
            bgcolor=ft.Colors.TERTIARY_CONTAINER if line.mismatch else None,
            padding=4,
        )

    def draw() -> None:
        check_field = ctx.t("console.monitoring.check_field")
        if say_filter_error(message, fields, screen, check_field):
            return
        say(message, ctx.t("console.review.count", count=len(screen.lines)))
        header = table_header(
            [(ctx.t(f"console.review.column.{key}"), width) for key, width in COLUMNS]
        )
        listing.controls = [header, *(line_row(line) for line in screen.lines)]

    def apply(_: Any = None) -> None:
        screen.form = {
            "state": state.picked or "synced",
            **{name: box.value or "" for name, box in fields.items()},
            "mismatch_only": "yes" if mismatch.value else "",
            "incomplete_only": "yes" if incomplete.value else "",
        }
        review.load_queue(ctx, screen)
        draw()

    for box in fields.values():
        box.on_submit = apply
    apply()
    return ft.Column(
        [
            heading(ctx.t("console.review.heading")),
            state,
            ft.Row([*fields.values(), mismatch, incomplete], wrap=True),
            ft.Button(content=ctx.t("console.queue.apply"), on_click=apply),
            message,
            listing,
        ]
    )
