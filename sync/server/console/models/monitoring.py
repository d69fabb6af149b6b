"""The monitoring screen's logic: the filter form, the dashboard, charts and CSV downloads.

A malformed filter comes back as the sentence naming the field (BadFilter), with the form kept
as typed, so the person corrects it rather than retyping everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sync.server.console.context import ConsoleContext
from sync.server.console.models.charts import Bar, chart_bars
from sync.server.console.models.filtering import read_filtered
from sync.server.console.models.labels import label
from sync.server.errors import BadFilter
from sync.server.staff import monitoring
from sync.server.staff.roles import Action

FILTER_FIELDS = monitoring.FILTER_FIELDS  # date_from, date_to, area_prefix, program, stage
# The column each table's chart draws; tables not listed draw their first numeric column.
CHART_VALUE = {
    "submissions_by_region": "submissions",
    "first_visit_completeness": "complete_pct",
    "missing_documents": "times_missing",
    "mismatch_rate": "mismatch_pct",
    "handling_times": "avg_handling_hours",
    "complaints_by_category": "complaints",
    "sla_breaches": "breach_pct",
    "satisfaction": "average",
    "trends": "submissions",
}


@dataclass(frozen=True)
class TableView:
    """One monitoring table as shown: title, translated headers, cells as text, its chart."""

    key: str
    title: str
    headers: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    bars: tuple[Bar, ...]
    chart_caption: str


@dataclass
class MonitoringScreen:
    """The filter form as typed, and what the last load gave (tables, or an error sentence)."""

    form: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FILTER_FIELDS, ""))
    tables: list[TableView] = field(default_factory=list)
    error: str | None = None
    error_field: str | None = None
    dashboard: monitoring.Dashboard | None = None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_view(ctx: ConsoleContext, table: monitoring.Table) -> TableView:
    title = label("staff.monitoring", table.key, ctx.lang)
    value_column = CHART_VALUE.get(table.key)
    shown_rows = _labelled(ctx, table)
    bars = chart_bars(table.columns, shown_rows, value_column)
    measured = label("console.column", value_column or "", ctx.lang) if value_column else ""
    return TableView(
        key=table.key,
        title=title,
        headers=tuple(label("console.column", column, ctx.lang) for column in table.columns),
        cells=tuple(tuple(_cell(value) for value in row) for row in shown_rows),
        bars=tuple(bars),
        chart_caption=ctx.t("console.monitoring.chart_caption", title=title, measure=measured),
    )


def _shown(ctx: ConsoleContext, column: str, value: object) -> object:
    """Codes people read as words: complaint categories, record kinds."""
    if column == "category" and value:
        return label("category", value, ctx.lang)
    if column == "kind" and value:
        return label("console.kind", value, ctx.lang)
    return value


def _labelled(ctx: ConsoleContext, table: monitoring.Table) -> list[tuple[object, ...]]:
    return [
        tuple(_shown(ctx, column, value) for column, value in zip(table.columns, row, strict=True))
        for row in table.rows
    ]


def load(ctx: ConsoleContext, screen: MonitoringScreen) -> None:
    """Read the dashboard for the form's filters into `screen` (or the error naming the field)."""
    board = read_filtered(
        ctx,
        screen,
        lambda: monitoring.dashboard(
            ctx.db,
            monitoring.parse_filters({k: v for k, v in screen.form.items() if v.strip()}),
            now=ctx.now(),
        ),
    )
    if board is None:
        return
    screen.dashboard = board
    screen.tables = [table_view(ctx, table) for table in board.tables.values()]


def can_export(ctx: ConsoleContext) -> bool:
    return ctx.user is not None and ctx.user.can(Action.EXPORT)


def csv_download(ctx: ConsoleContext, screen: MonitoringScreen, key: str) -> tuple[str, str]:
    """(file name, CSV text) of one table of the last load; BadFilter for an unknown table."""
    if screen.dashboard is None:
        raise BadFilter("table", "unknown_table", table=key, allowed="")
    table = screen.dashboard.table(key)
    stamp = screen.dashboard.generated_at.strftime("%Y%m%d-%H%M")
    return f"lengkap-{key}-{stamp}.csv", monitoring.to_csv(table)
