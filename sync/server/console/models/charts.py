"""What a monitoring table looks like as a bar chart: which column names the bars, which counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

MAX_BARS = 12  # more bars than this are unreadable; the table below the chart has every row


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def chart_bars(
    columns: Sequence[str], rows: Sequence[Sequence[object]], value_column: str | None = None
) -> list[Bar]:
    """Bars for a table: labels from its first text column, heights from `value_column`, else
    from the first column holding numbers. Empty when the table has nothing to draw."""
    if not rows:
        return []
    numeric = [
        i for i, _ in enumerate(columns) if all(_is_number(r[i]) or r[i] is None for r in rows)
    ]
    if value_column is not None and value_column in columns:
        value_at = columns.index(value_column)
    elif numeric:
        value_at = numeric[0]
    else:
        return []
    label_columns = [i for i in range(len(columns)) if i not in numeric]
    bars = []
    for row in rows[:MAX_BARS]:
        label = " · ".join(str(row[i]) for i in label_columns[:2] if row[i] not in (None, ""))
        bars.append(Bar(label or "—", float(row[value_at] or 0)))
    return bars
