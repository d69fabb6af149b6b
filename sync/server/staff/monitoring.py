"""Monitoring per region and program stage, as named tables the console charts and exports as CSV.

Every query reads the denormalised `cases` and `case_missing_documents` tables (one narrow row per
record, filled at arrival by intake.py) and the self-check kiosks' `survey_answers`, never a
record's JSON, so each stays well under half a second over a million submissions on PostgreSQL
(tests/benchmarks/bench_console.py). Region is the device's area, grouped one level below the
filter's prefix (province -> regency -> district -> village).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from sync.server.errors import BadFilter
from sync.server.staff.accounts import StaffUser
from sync.server.staff.intake import catch_up
from sync.server.staff.roles import Action
from sync.server.staff.workflow import OPEN_COMPLAINT, within_area
from sync.server.storage import (
    Database,
    case_daily,
    case_missing_documents,
    cases,
    survey_answers,
)

FILTER_FIELDS = ("date_from", "date_to", "area_prefix", "program", "stage")
_PROGRAM = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_REGION_LENGTHS = (2, 4, 6, 10)  # province, regency, district, village (Kemendagri digits)
MAX_DAYS = 3660
TOP_DOCUMENTS = 20
WEEKLY_AFTER_DAYS = 92  # a longer range trends by week


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    area_prefix: str | None = None  # region digits
    program: str | None = None
    stage: int | None = None


@dataclass(frozen=True)
class Table:
    """One view: `key` names it (titles: staff.monitoring.<key>), `columns` its column keys."""

    key: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    generated_at: datetime
    tables: dict[str, Table] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        """The table `key`; BadFilter names `table` when there is none (a malformed export)."""
        found = self.tables.get(key)
        if found is None:
            raise BadFilter("table", "unknown_table", table=key, allowed=", ".join(self.tables))
        return found


# --- filters (pure) ---------------------------------------------------------------------------


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(name, "bad_date", value=value) from None


def parse_filters(mapping: Mapping[str, str]) -> Filters:
    """Filters from text (a query string, a form); BadFilter names the first field that is wrong."""
    for name in mapping:
        if name not in FILTER_FIELDS:
            raise BadFilter(name, "unknown_field", allowed=", ".join(FILTER_FIELDS))
    values = {name: (mapping.get(name) or "").strip() for name in FILTER_FIELDS}
    date_from = _day("date_from", values["date_from"]) if values["date_from"] else None
    date_to = _day("date_to", values["date_to"]) if values["date_to"] else None
    if date_from and date_to:
        if date_to < date_from:
            raise BadFilter("date_to", "before_start", start=date_from.isoformat())
        if (date_to - date_from).days > MAX_DAYS:
            raise BadFilter("date_to", "range_too_long", days=MAX_DAYS)
    area = None
    if values["area_prefix"]:
        area = re.sub(r"[\s.]", "", values["area_prefix"])
        if not area.isdigit() or not area.isascii() or len(area) not in _REGION_LENGTHS:
            raise BadFilter("area_prefix", "bad_area", value=values["area_prefix"])
    program = values["program"] or None
    if program is not None and not _PROGRAM.fullmatch(program):
        raise BadFilter("program", "bad_program", value=program)
    stage = None
    if values["stage"]:
        if not values["stage"].isdigit() or not 1 <= int(values["stage"]) <= 99:
            raise BadFilter("stage", "bad_stage", value=values["stage"])
        stage = int(values["stage"])
    return Filters(date_from, date_to, area, program, stage)


def region_length(filters: Filters) -> int:
    """Group one level below the filter's region (or by province without one)."""
    if not filters.area_prefix:
        return 2
    deeper = [n for n in _REGION_LENGTHS if n > len(filters.area_prefix)]
    return deeper[0] if deeper else len(filters.area_prefix)


# --- queries ----------------------------------------------------------------------------------


def _where(table: Any, filters: Filters, *, kind: str | None, stage: bool = True) -> list[Any]:
    clauses: list[Any] = []
    if kind is not None:
        clauses.append(table.c.kind == kind)
    if filters.date_from:
        clauses.append(table.c.received_day >= filters.date_from)
    if filters.date_to:
        clauses.append(table.c.received_day <= filters.date_to)
    if filters.area_prefix:
        clauses.append(within_area(table.c.area, filters.area_prefix))
    if filters.program:
        clauses.append(table.c.program == filters.program)
    if stage and filters.stage is not None:
        clauses.append(table.c.stage == filters.stage)
    return clauses


def _count_if(condition: ColumnElement[Any]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _pct(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def _hours_value(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


_RAW_MEASURES: dict[str, Callable[[], ColumnElement[Any]]] = {
    "records": lambda: func.count(),
    "complete": lambda: _count_if(cases.c.complete.is_(True)),
    "first_visit": lambda: _count_if(cases.c.first_visit.is_(True)),
    "first_visit_complete": lambda: _count_if(
        and_(cases.c.first_visit.is_(True), cases.c.complete.is_(True))
    ),
    "account_mismatch": lambda: _count_if(cases.c.account_mismatch.is_(True)),
    "name_mismatch": lambda: _count_if(cases.c.name_mismatch.is_(True)),
    "not_registered": lambda: _count_if(cases.c.not_registered.is_(True)),
    "any_mismatch": lambda: _count_if(cases.c.mismatch.is_(True)),
    "acted": lambda: func.count(cases.c.wait_seconds),
    "wait_seconds": lambda: func.sum(cases.c.wait_seconds),
    "decided": lambda: func.count(cases.c.handling_seconds),
    "handling_seconds": lambda: func.sum(cases.c.handling_seconds),
}


def _counts(
    connection: Connection,
    filters: Filters,
    *,
    kind: str | None,
    by: Sequence[str],
    measures: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Rows of (*by, *measures) summed over the records `filters` select.

    Without a region the daily rollup answers (a province is its finest region); with one, the
    case rows of that region do, grouped one level below it.
    """
    dimensions: dict[str, ColumnElement[Any]]
    columns: list[ColumnElement[Any]]
    if filters.area_prefix is None:
        d = case_daily
        dimensions = {
            "region": d.c.province,
            "program": d.c.program,
            "stage": d.c.stage,
            "day": d.c.received_day,
            "kind": d.c.kind,
        }
        clauses: list[Any] = [d.c.kind == kind] if kind else []
        if filters.date_from:
            clauses.append(d.c.received_day >= filters.date_from)
        if filters.date_to:
            clauses.append(d.c.received_day <= filters.date_to)
        if filters.program:
            clauses.append(d.c.program == filters.program)
        if filters.stage is not None:
            clauses.append(d.c.stage == filters.stage)
        columns = [func.sum(d.c[name]) for name in measures]
    else:
        dimensions = {
            "region": func.substr(cases.c.area, 1, region_length(filters)),
            "program": cases.c.program,
            "stage": cases.c.stage,
            "day": cases.c.received_day,
            "kind": cases.c.kind,
        }
        clauses = _where(cases, filters, kind=kind)
        columns = [_RAW_MEASURES[name]() for name in measures]
    keys = [dimensions[name] for name in by]
    found = connection.execute(
        select(*keys, *columns).where(*clauses).group_by(*keys).order_by(*keys)
    ).all()
    # The rollup writes "" and 0 for no program or stage; show them as the case rows do.
    blank = {"program": "", "stage": 0}
    return [
        tuple(
            None if name in blank and value == blank[name] else value
            for name, value in zip(by, row[: len(by)], strict=True)
        )
        + tuple(int(value or 0) for value in row[len(by) :])
        for row in found
    ]


def _complete_by_stage(
    connection: Connection,
    filters: Filters,
    name: str,
    measures: tuple[str, str],
    counted: tuple[str, str],
) -> Table:
    """Submissions per region, program and stage: two counts (named `counted`) and the second as
    a percentage of the first; groups where the first is zero are left out."""
    rows = _counts(
        connection, filters, kind="submission", by=("region", "program", "stage"), measures=measures
    )
    return Table(
        name,
        ("region", "program", "stage", *counted, "complete_pct"),
        tuple((*r, _pct(r[4], r[3])) for r in rows if r[3]),
    )


def submissions_by_region(connection: Connection, filters: Filters, now: datetime) -> Table:
    measures = ("records", "complete")
    counted = ("submissions", "complete")
    return _complete_by_stage(connection, filters, "submissions_by_region", measures, counted)


def first_visit_completeness(connection: Connection, filters: Filters, now: datetime) -> Table:
    measures = ("first_visit", "first_visit_complete")
    counted = ("first_visits", "complete_first_time")
    return _complete_by_stage(connection, filters, "first_visit_completeness", measures, counted)


def missing_documents(connection: Connection, filters: Filters, now: datetime) -> Table:
    m = case_missing_documents
    rows = connection.execute(
        select(m.c.program, m.c.document, func.count().label("times"))
        .where(*_where(m, filters, kind=None))
        .group_by(m.c.program, m.c.document)
        .order_by(func.count().desc(), m.c.program, m.c.document)
        .limit(TOP_DOCUMENTS)
    ).all()
    return Table(
        "missing_documents", ("program", "document", "times_missing"), tuple(tuple(r) for r in rows)
    )


def mismatch_rate(connection: Connection, filters: Filters, now: datetime) -> Table:
    rows = _counts(
        connection,
        filters,
        kind="submission",
        by=("region", "program"),
        measures=(
            "records",
            "account_mismatch",
            "name_mismatch",
            "not_registered",
            "any_mismatch",
        ),
    )
    return Table(
        "mismatch_rate",
        (
            "region",
            "program",
            "submissions",
            "account_mismatch",
            "name_mismatch",
            "not_registered",
            "any_mismatch",
            "mismatch_pct",
        ),
        tuple((*r, _pct(r[6], r[2])) for r in rows if r[2]),
    )


def _mean_hours(total_seconds: int, count: int) -> float | None:
    return round(total_seconds / count / 3600, 1) if count else None


def handling_times(connection: Connection, filters: Filters, now: datetime) -> Table:
    rows = _counts(
        connection,
        filters,
        kind=None,
        by=("kind", "program"),
        measures=("records", "acted", "wait_seconds", "decided", "handling_seconds"),
    )
    return Table(
        "handling_times",
        (
            "kind",
            "program",
            "received",
            "acted_on",
            "avg_wait_hours",
            "decided",
            "avg_handling_hours",
        ),
        tuple(
            (
                kind,
                program,
                received,
                acted,
                _mean_hours(wait, acted),
                decided,
                _mean_hours(handling, decided),
            )
            for kind, program, received, acted, wait, decided, handling in rows
            if received
        ),
    )


def _complaint_filters(filters: Filters) -> list[Any]:
    return _where(cases, filters, kind="complaint", stage=False)


def complaints_by_category(connection: Connection, filters: Filters, now: datetime) -> Table:
    open_states = [s.value for s in OPEN_COMPLAINT]
    rows = connection.execute(
        select(
            cases.c.category,
            func.count(),
            _count_if(cases.c.state.in_(open_states)),
            _count_if(cases.c.state.in_(["resolved", "closed"])),
            _count_if(cases.c.state == "referred"),
        )
        .where(*_complaint_filters(filters))
        .group_by(cases.c.category)
        .order_by(func.count().desc(), cases.c.category)
    ).all()
    return Table(
        "complaints_by_category",
        ("category", "complaints", "open", "resolved", "referred"),
        tuple((r[0], r[1], r[2] or 0, r[3] or 0, r[4] or 0) for r in rows),
    )


def sla_breaches(connection: Connection, filters: Filters, now: datetime) -> Table:
    open_states = [s.value for s in OPEN_COMPLAINT]
    is_open = cases.c.state.in_(open_states)
    open_late = and_(is_open, cases.c.due_at < now)
    decided_late = and_(cases.c.decided_at.is_not(None), cases.c.decided_at > cases.c.due_at)
    first_late = or_(
        and_(cases.c.first_action_at.is_(None), is_open, cases.c.first_response_due < now),
        cases.c.first_action_at > cases.c.first_response_due,
    )
    rows = connection.execute(
        select(
            cases.c.category,
            func.count(),
            _count_if(first_late),
            _count_if(open_late),
            _count_if(decided_late),
            _count_if(cases.c.escalated_at.is_not(None)),
        )
        .where(*_complaint_filters(filters))
        .group_by(cases.c.category)
        .order_by(cases.c.category)
    ).all()
    return Table(
        "sla_breaches",
        (
            "category",
            "complaints",
            "first_response_late",
            "open_past_due",
            "resolved_late",
            "escalated",
            "breach_pct",
        ),
        tuple(
            (
                r[0],
                r[1],
                r[2] or 0,
                r[3] or 0,
                r[4] or 0,
                r[5] or 0,
                _pct((r[3] or 0) + (r[4] or 0), r[1]),
            )
            for r in rows
        ),
    )


def satisfaction(connection: Connection, filters: Filters, now: datetime) -> Table:
    s = survey_answers
    region = func.substr(s.c.area, 1, region_length(filters)).label("region")
    clauses: list[Any] = []
    if filters.date_from:
        clauses.append(s.c.answered_at >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC)
        clauses.append(s.c.answered_at < end)
    if filters.area_prefix:
        clauses.append(within_area(s.c.area, filters.area_prefix))
    scores = [_count_if(s.c.score == n) for n in range(1, 6)]
    rows = connection.execute(
        select(region, func.count(), func.avg(cast(s.c.score, Integer) * literal(1.0)), *scores)
        .where(*clauses)
        .group_by(region)
        .order_by(region)
    ).all()
    return Table(
        "satisfaction",
        ("region", "answers", "average", "score_1", "score_2", "score_3", "score_4", "score_5"),
        tuple(
            (r[0], r[1], None if r[2] is None else round(float(r[2]), 2), *(v or 0 for v in r[3:]))
            for r in rows
        ),
    )


def trends(connection: Connection, filters: Filters, now: datetime) -> Table:
    rows = _counts(
        connection,
        filters,
        kind=None,
        by=("day", "kind"),
        measures=("records", "complete"),
    )
    per_day: dict[date, list[int]] = {}
    for day, kind, count, complete in rows:
        counts = per_day.setdefault(_as_date(day), [0, 0, 0])
        if kind == "submission":
            counts[0] += count
            counts[2] += complete
        else:
            counts[1] += count
    days = sorted(per_day)
    weekly = bool(days) and (days[-1] - days[0]).days > WEEKLY_AFTER_DAYS
    buckets: dict[date, list[int]] = {}
    for day in days:
        start = day - timedelta(days=day.weekday()) if weekly else day
        bucket = buckets.setdefault(start, [0, 0, 0])
        for index, value in enumerate(per_day[day]):
            bucket[index] += value
    return Table(
        "trends_weekly" if weekly else "trends_daily",
        ("period", "submissions", "complaints", "complete"),
        tuple((start.isoformat(), *counts) for start, counts in sorted(buckets.items())),
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


QUERIES: dict[str, Callable[[Connection, Filters, datetime], Table]] = {
    "submissions_by_region": submissions_by_region,
    "first_visit_completeness": first_visit_completeness,
    "missing_documents": missing_documents,
    "mismatch_rate": mismatch_rate,
    "handling_times": handling_times,
    "complaints_by_category": complaints_by_category,
    "sla_breaches": sla_breaches,
    "satisfaction": satisfaction,
    "trends": trends,
}


def dashboard(
    db: Database,
    filters: Filters,
    *,
    now: datetime,
    only: Sequence[str] | None = None,
    refresh: bool = True,
    viewer: StaffUser | None = None,
) -> Dashboard:
    """Every monitoring table (or `only` those) for `filters`, in one read transaction.

    With a `viewer`, PermissionDenied unless the role may view monitoring.
    """
    if viewer is not None:
        viewer.require(Action.VIEW_MONITORING)
    wanted = list(only) if only is not None else list(QUERIES)
    for key in wanted:
        if key not in QUERIES:
            raise BadFilter("table", "unknown_table", table=key, allowed=", ".join(QUERIES))
    if refresh:
        catch_up(db, now=now)
    with db.read() as connection:
        tables = [QUERIES[key](connection, filters, now) for key in wanted]
    return Dashboard(filters, now, {table.key: table for table in tables})


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    written = value.isoformat() if isinstance(value, date | datetime) else str(value)
    # A spreadsheet would run a cell starting like a formula: quote it (CSV injection).
    if written.startswith(_FORMULA_START) and not _is_number(written):
        return "'" + written
    return written


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def to_csv(table: Table) -> str:
    """The table as CSV (header row of column keys, then rows), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def export_table(board: Dashboard, key: str, viewer: StaffUser) -> str:
    """One table of `board` as CSV for `viewer` (who must be allowed to export)."""
    viewer.require(Action.EXPORT)
    return to_csv(board.table(key))
