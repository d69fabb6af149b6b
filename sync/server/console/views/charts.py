"""A bar chart (flet-charts; its client is inside flet-web, so it draws offline)."""

from __future__ import annotations

from collections.abc import Sequence

import flet as ft
import flet_charts as fch

from sync.server.console.models.charts import Bar

BAR_WIDTH = 18


def bar_chart(caption: str, bars: Sequence[Bar]) -> ft.Control:
    """`caption` over the bars; each bar's label under it and its value in its tooltip.

    The canvas is invisible to a screen reader, so the caption says what the chart shows and the
    table under it carries every number.
    """
    top = max((bar.value for bar in bars), default=0) or 1
    chart = fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=index,
                rods=[
                    fch.BarChartRod(
                        to_y=bar.value,
                        width=BAR_WIDTH,
                        color=ft.Colors.PRIMARY,
                        tooltip=f"{bar.label}: {bar.value:g}",
                        border_radius=2,
                    )
                ],
            )
            for index, bar in enumerate(bars)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=index, label=ft.Text(bar.label, size=11))
                for index, bar in enumerate(bars)
            ],
            label_size=40,
        ),
        left_axis=fch.ChartAxis(label_size=40),
        horizontal_grid_lines=fch.ChartGridLines(color=ft.Colors.OUTLINE_VARIANT, width=1),
        max_y=top * 1.15,
        interactive=True,
        height=240,
        width=max(320, 90 * len(bars)),
    )
    return ft.Column([ft.Text(caption, theme_style=ft.TextThemeStyle.TITLE_SMALL), chart])
