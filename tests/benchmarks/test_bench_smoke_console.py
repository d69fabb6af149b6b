"""The console benchmark runs, and its seeded data set holds the shape of the goal on any machine:
each query counts exactly the seeded rows it should, and none reads a large table without an
index (SQLite's EXPLAIN QUERY PLAN) for a filtered view or a queue. The p95 times over a million
rows come from `python -m tests.benchmarks.bench_console` on PostgreSQL."""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from sync.server.staff import cases as complaint_cases
from sync.server.staff import monitoring, review
from sync.server.staff.monitoring import Filters
from sync.server.storage import Database
from tests.benchmarks import bench_console

SEED = 42
SIZES = {"submissions": 500, "complaints": 300, "surveys": 50}  # queues stay under their 200
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
LARGE_TABLES = ("cases", "records", "case_missing_documents", "survey_answers")
BARE_SCAN = re.compile(rf"^SCAN ({'|'.join(LARGE_TABLES)})$")
# Views that read a whole large table today, and why; any other one doing so fails, and so does
# one of these once it no longer does (then take it off this list).
WHOLE_TABLE_READS = {
    # Survey answers carry no program or stage: the filter does not apply, the view is [all].
    "satisfaction [kjp-plus stage 2]",
    # case_missing_documents has no index on (program, stage): fine at the README's figures on
    # PostgreSQL (10-45 ms per stage view), but it reads every row. Left to the server's owner.
    "missing_documents [kjp-plus stage 2]",
}
# Written out here, not taken from the code under test: a complaint is open until resolved or
# closed, and a submission waits for review while it is only synced.
OPEN_COMPLAINT_STATES = {"synced", "in_progress", "referred", "reopened"}
WAITING_FOR_REVIEW = {"synced"}
FILTERED = {
    "province 31, 90 days": Filters(date_from=(NOW - timedelta(days=90)).date(), area_prefix="31"),
    "kjp-plus stage 2": Filters(program="kjp-plus", stage=2),
}


def test_the_console_benchmark_runs_on_a_small_data_set(capsys):
    worst = bench_console.main(
        [
            "--no-postgres",
            "--submissions",
            "300",
            "--complaints",
            "60",
            "--surveys",
            "30",
            "--runs",
            "2",
        ]
    )
    printed = capsys.readouterr().out
    assert "300 submissions, 60 complaints, 30 survey answers (360 case rows)" in printed
    for key in bench_console.monitoring.QUERIES:
        assert f"{key} [all]" in worst and f"{key} [all]" in printed
    assert {"complaint queue", "overdue queue", "review queue"} <= set(worst)
    assert "slowest p95:" in printed


class Plans:
    """The query plan of every statement run on the database while recording."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.statements: list[tuple[str, Any]] = []
        event.listen(database.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))

    def of(self, call: Any) -> tuple[Any, list[str]]:
        """What `call()` returns, and the plan lines of the statements it ran."""
        self.statements.clear()
        result = call()
        recorded = list(self.statements)
        lines = []
        with self.database.engine.connect() as connection:
            for statement, parameters in recorded:
                if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    explained = connection.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN {statement}", parameters
                    )
                    lines += [row[3] for row in explained]
        return result, lines


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, list[dict]]]:
    """The benchmark's own data set, small, and the case rows its generator made."""
    folder: Path = tmp_path_factory.mktemp("console")
    database = Database(f"sqlite:///{folder / 'bench.sqlite'}")
    bench_console.build(database, argparse.Namespace(seed=SEED, **SIZES), NOW)
    # The same generator and seed again, to know what the queries must find.
    rng = random.Random(SEED)
    areas = bench_console._areas(rng, 600)
    made = [
        case
        for _, case, _ in bench_console._rows(
            rng,
            submissions=SIZES["submissions"],
            complaints=SIZES["complaints"],
            areas=areas,
            now=NOW,
        )
    ]
    try:
        yield database, made
    finally:
        database.close()


def column_total(table: monitoring.Table, column: str) -> int:
    index = table.columns.index(column)
    return sum(row[index] for row in table.rows)


def test_the_monitoring_tables_count_exactly_the_seeded_records(seeded):
    database, made = seeded
    kinds = Counter(case["kind"] for case in made)
    stage_two = sum(
        case["kind"] == "submission" and case["program"] == "kjp-plus" and case["stage"] == 2
        for case in made
    )
    with database.read() as connection:
        everyone = monitoring.submissions_by_region(connection, Filters(), NOW)
        one_stage = monitoring.submissions_by_region(connection, FILTERED["kjp-plus stage 2"], NOW)
        complaints = monitoring.complaints_by_category(connection, Filters(), NOW)
    assert column_total(everyone, "submissions") == kinds["submission"] == SIZES["submissions"]
    assert column_total(one_stage, "submissions") == stage_two > 0
    assert column_total(complaints, "complaints") == kinds["complaint"] == SIZES["complaints"]
    still_open = sum(c["kind"] == "complaint" and c["state"] in OPEN_COMPLAINT_STATES for c in made)
    assert column_total(complaints, "open") == still_open


def test_the_queues_hold_exactly_the_seeded_cases_waiting(seeded):
    database, made = seeded
    open_complaints = sum(
        c["kind"] == "complaint" and c["state"] in OPEN_COMPLAINT_STATES for c in made
    )
    to_review = sum(c["kind"] == "submission" and c["state"] in WAITING_FOR_REVIEW for c in made)
    assert 0 < open_complaints < 200 and 0 < to_review < 200  # below the queues' page size
    assert len(complaint_cases.complaint_queue(database, now=NOW)) == open_complaints
    assert len(review.review_queue(database, now=NOW)) == to_review


def test_filtered_views_and_queues_never_read_a_large_table_without_an_index(seeded):
    database, _ = seeded
    plans = Plans(database)
    seen: dict[str, list[str]] = {}

    def view(key: str, filters: Filters) -> Any:
        with database.read() as connection:
            return monitoring.QUERIES[key](connection, filters, NOW)

    for label, filters in FILTERED.items():
        for key in monitoring.QUERIES:
            seen[f"{key} [{label}]"] = plans.of(lambda k=key, f=filters: view(k, f))[1]
    overdue = complaint_cases.QueueFilters(overdue_only=True, area_prefix="3174")
    queues = {
        "complaint queue": lambda: complaint_cases.complaint_queue(database, now=NOW),
        "overdue queue": lambda: complaint_cases.complaint_queue(
            database, now=NOW, filters=overdue
        ),
        "review queue": lambda: review.review_queue(database, now=NOW),
    }
    for name, call in queues.items():
        seen[name] = plans.of(call)[1]
        # A queue is a page of the oldest or most urgent: found through an index, never by
        # reading every case.
        on_cases = [line for line in seen[name] if re.search(r"\bcases\b", line)]
        assert on_cases and all(line.startswith("SEARCH") for line in on_cases), (name, on_cases)
    assert all(seen.values()), [name for name, lines in seen.items() if not lines]
    whole = {name for name, lines in seen.items() if any(BARE_SCAN.match(line) for line in lines)}
    assert whole == WHOLE_TABLE_READS
