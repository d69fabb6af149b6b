"""Benchmark of the staff console's queries: monitoring tables and queues over a national data set.

Run: python -m tests.benchmarks.bench_console [--submissions N] [--complaints N] [--surveys N]
     [--runs N] [--no-postgres] [--seed N]

Goal: every dashboard query p95 < 500 ms over 1,000,000 submissions and 100,000 complaints on
PostgreSQL (ODK Central's entity table takes about 25 s at 1M rows).

How it is measured, and why:

- A throwaway PostgreSQL database on 127.0.0.1:5432 (SQLite with --no-postgres), migrated to the
  newest revision, then filled with COPY (executemany on SQLite): devices in 600 districts of 34
  provinces; records with their case rows as intake.py writes them (program and stage, complete,
  first visit, mismatch flags, missing documents, categories, states, deadlines, first action
  and decision times) spread over the last 365 days; survey answers. A record's JSON body is a
  stub: no console query reads it (that is the point of the case rows), so its size would change
  only the disk, not a figure. ANALYZE runs before anything is timed, as autovacuum would.
- Each query runs `--runs` times in its own read transaction, as the console calls it; p50 and p95
  of the wall time, Python's row handling included. Three filter sets: none (every row: the worst
  case), one province over the last 90 days (a provincial supervisor's usual view), and one
  program stage. The queues (complaints by SLA date, submissions waiting longest) run as the
  console opens them.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from sync.server import migrations
from sync.server.staff import cases as complaint_cases
from sync.server.staff import intake, monitoring, review, rollup
from sync.server.staff.monitoring import Filters
from sync.server.storage import (
    Database,
    case_daily,
    case_missing_documents,
    cases,
    devices,
    meta,
    records,
    survey_answers,
)
from tests.benchmarks.figures import percentile
from tests.support.server import postgres_database, postgres_reachable

QUICK_ARGS = ["--submissions", "20000", "--complaints", "2000", "--surveys", "2000", "--runs", "5"]
GOAL_MS = 500.0
PROVINCES = (
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35",
    "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
    "81", "82", "91", "94",
)  # fmt: skip
DOCUMENTS = {
    "kjp-plus": ("kk", "ktp_wali", "sptjm", "permohonan", "formulir_data", "surat_sekolah_wali"),
    "pkh": ("kk", "ktp", "buku_tabungan", "surat_keterangan", "kartu_kks"),
}
STAGES = {"kjp-plus": (1, 2), "pkh": (1, 2, 3, 4)}
CATEGORIES = (
    "late_disbursement", "wrong_data", "eligible_not_registered", "amount_reduced",
    "no_information", "card_or_account", "illegal_levy", "other",
)  # fmt: skip
COMPLAINT_STATES = (
    ("synced", 0.15), ("in_progress", 0.2), ("referred", 0.1), ("resolved", 0.3),
    ("closed", 0.2), ("reopened", 0.05),
)  # fmt: skip
SUBMISSION_STATES = (("synced", 0.3), ("verified", 0.35), ("rejected", 0.1), ("disbursed", 0.25))
RESOLUTION_DAYS = {"no_information": 5, "wrong_data": 14, "eligible_not_registered": 60}
CHUNK = 20_000


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _areas(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        found.add(f"{rng.choice(PROVINCES)}{rng.randint(1, 30):02d}{rng.randint(1, 20):02d}")
    return sorted(found)


def _device_rows(areas: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": index + 1,
            "name": f"bench-{index}",
            "device_code": f"B{index:05d}",
            "area": area,
            "created_at": now,
        }
        for index, area in enumerate(areas)
    ]


def _rows(
    rng: random.Random, *, submissions: int, complaints: int, areas: Sequence[str], now: datetime
) -> Iterator[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]]:
    """(record, case, missing documents) per record, submissions then complaints."""
    for index in range(1, submissions + complaints + 1):
        kind = "submission" if index <= submissions else "complaint"
        device = rng.randrange(len(areas))
        area = areas[device]
        received = now - timedelta(seconds=rng.randrange(365 * 86400))
        program = "kjp-plus" if rng.random() < 0.6 else "pkh"
        record = {
            "id": index,
            "client_id": f"bench-{index}",
            "kind": kind,
            "device_id": device + 1,
            "register_number": f"BENCH-{index:07d}",
            "program": program,
            "fingerprint": "0" * 64,
            "body": "{}",
            "attachments": "[]",
            "state_note": None,
            "server_verdict": "{}",
            "verdicts_agree": True,
            "received_at": received,
            "updated_at": received,
            "version": 1,
        }
        acted = received + timedelta(hours=rng.uniform(1, 24 * 10))
        case: dict[str, Any] = {name.name: None for name in cases.columns}
        case.update(
            record_id=index,
            kind=kind,
            area=area,
            program=program,
            received_at=received,
            received_day=received.date(),
        )
        missing: list[dict[str, Any]] = []
        if kind == "submission":
            state = _weighted(rng, SUBMISSION_STATES)
            stage = rng.choice(STAGES[program])
            complete = rng.random() < 0.65
            flags = {
                "account_mismatch": rng.random() < 0.04,
                "name_mismatch": rng.random() < 0.06,
                "not_registered": rng.random() < 0.03,
            }
            case.update(
                state=state,
                stage=stage,
                complete=complete,
                first_visit=rng.random() < 0.8,
                person_key=f"{index:064d}",
                mismatch=any(flags.values()),
                **flags,
                first_action_at=acted if state != "synced" else None,
                decided_at=acted + timedelta(hours=2) if state != "synced" else None,
                disbursement="disbursed" if state == "disbursed" else None,
            )
            if not complete:
                for document in rng.sample(DOCUMENTS[program], rng.randint(1, 3)):
                    missing.append(
                        {
                            "record_id": index,
                            "document": document,
                            "area": area,
                            "program": program,
                            "stage": stage,
                            "received_day": received.date(),
                        }
                    )
        else:
            state = _weighted(rng, COMPLAINT_STATES)
            category = rng.choice(CATEGORIES)
            started = state != "synced"
            decided = state in ("resolved", "closed")
            case.update(
                state=state,
                category=category,
                severity=rng.choice(("low", "normal", "normal", "high", "urgent")),
                team=rng.choice((None, "technical", "bank", "verification")) if started else None,
                assignee_id=None,
                first_response_due=received + timedelta(days=3),
                due_at=received + timedelta(days=RESOLUTION_DAYS.get(category, 5)),
                escalated_at=acted if rng.random() < 0.05 else None,
                first_action_at=acted if started else None,
                decided_at=acted + timedelta(days=rng.uniform(0, 10)) if decided else None,
            )
        record["state"] = case["state"]
        for span, moment in (
            ("wait_seconds", "first_action_at"),
            ("handling_seconds", "decided_at"),
        ):
            if case[moment] is not None:
                case[span] = round((case[moment] - received).total_seconds())
        yield record, case, missing


def _survey_rows(
    rng: random.Random, count: int, areas: Sequence[str], now: datetime
) -> Iterator[dict[str, Any]]:
    for index in range(count):
        answered = now - timedelta(seconds=rng.randrange(365 * 86400))
        yield {
            "client_id": f"survey-{index}",
            "device_id": 1,
            "area": rng.choice(areas),
            "score": rng.choices((1, 2, 3, 4, 5), weights=(5, 8, 20, 37, 30))[0],
            "flow": "status",
            "language": "id",
            "answered_at": answered,
            "received_at": answered,
        }


class _Loader:
    """COPY on PostgreSQL, multi-row executemany on SQLite; one transaction per chunk."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def load(self, table: Any, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        if self.database.dialect != "postgresql":
            with self.database.write() as connection:
                connection.execute(insert(table), rows)
            return
        raw = self.database.engine.raw_connection()
        try:
            with raw.cursor() as cursor:  # type: ignore[attr-defined]
                names = ", ".join(columns)
                with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in columns])
            raw.commit()
        finally:
            raw.close()


def build(database: Database, args: argparse.Namespace, now: datetime) -> float:
    """Fill the database; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(args.seed)
    migrations.upgrade(database)
    areas = _areas(rng, 600)
    loader = _Loader(database)
    loader.load(devices, _device_rows(areas, now))
    batch: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    daily: dict[rollup.Key, Counter[str]] = {}
    for record, case, missing in _rows(
        rng, submissions=args.submissions, complaints=args.complaints, areas=areas, now=now
    ):
        batch[0].append(record)
        batch[1].append(case)
        batch[2].extend(missing)
        # The rollup as intake and casework keep it: arrival facts plus the spans so far.
        counts = daily.setdefault(rollup.key_of(case), Counter())
        counts.update(rollup.arrival_counts(case))
        if case["wait_seconds"] is not None:
            counts.update(acted=1, wait_seconds=case["wait_seconds"])
        if case["handling_seconds"] is not None:
            counts.update(decided=1, handling_seconds=case["handling_seconds"])
        if len(batch[0]) >= CHUNK:
            _flush(loader, batch)
            batch = ([], [], [])
    _flush(loader, batch)
    loader.load(
        case_daily,
        [
            {
                **dict(
                    zip(("kind", "received_day", "province", "program", "stage"), key, strict=True)
                ),
                **{name: counts.get(name, 0) for name in rollup.COUNTS},
            }
            for key, counts in sorted(daily.items())
        ],
    )
    surveys = list(_survey_rows(rng, args.surveys, areas, now))
    for start in range(0, len(surveys), CHUNK):
        loader.load(survey_answers, surveys[start : start + CHUNK])
    total = args.submissions + args.complaints
    with database.write() as connection:
        connection.execute(insert(meta).values(key=intake.FLOOR_KEY, value=str(total)))
        if database.dialect == "postgresql":
            for table in ("records", "devices", "survey_answers"):
                seq = f"pg_get_serial_sequence('{table}', 'id')"
                connection.execute(text(f"SELECT setval({seq}, (SELECT max(id) FROM {table}))"))
    with database.engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _flush(loader: _Loader, batch: tuple[list[Any], list[Any], list[Any]]) -> None:
    loader.load(records, batch[0])
    loader.load(cases, batch[1])
    loader.load(case_missing_documents, batch[2])


def _time(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # a first run warms the connection pool and the plan cache, as a console session would
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


def _line(name: str, timings: Sequence[float], *, judged: bool = True) -> float:
    millis = [t * 1000 for t in timings]
    p50, p95 = statistics.median(millis), percentile(millis, 0.95)
    verdict = ("ok" if p95 < GOAL_MS else "OVER") if judged else "(all nine, one after another)"
    print(f"{name:<58} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  {verdict}", flush=True)
    return p95


def measure(database: Database, runs: int, now: datetime) -> dict[str, float]:
    """p95 in ms per query and filter set."""
    scenarios = {
        "all": Filters(),
        "province 31, 90 days": Filters(date_from=(now - timedelta(days=90)).date(), area_prefix="31"),
        "kjp-plus stage 2": Filters(program="kjp-plus", stage=2),
    }  # fmt: skip
    worst: dict[str, float] = {}

    def one(key: str, filters: Filters) -> Callable[[], Any]:
        def run() -> Any:
            with database.read() as connection:
                return monitoring.QUERIES[key](connection, filters, now)

        return run

    for label, filters in scenarios.items():
        for key in monitoring.QUERIES:
            worst[f"{key} [{label}]"] = _line(f"{key} [{label}]", _time(one(key, filters), runs))
        # The goal is per query; the whole page is printed for what a person waits for.
        whole = _time(lambda f=filters: monitoring.dashboard(database, f, now=now), runs)
        _line(f"whole dashboard [{label}]", whole, judged=False)
    queue = _time(lambda: complaint_cases.complaint_queue(database, now=now), runs)
    worst["complaint queue"] = _line("complaint queue by SLA date (open, first 200)", queue)
    overdue = complaint_cases.QueueFilters(overdue_only=True, area_prefix="3174")
    worst["overdue queue"] = _line(
        "complaint queue, overdue in one regency",
        _time(lambda: complaint_cases.complaint_queue(database, now=now, filters=overdue), runs),
    )
    waiting = _time(lambda: review.review_queue(database, now=now), runs)
    worst["review queue"] = _line("review queue, waiting longest (first 200)", waiting)
    return worst


@contextlib.contextmanager
def _database(use_postgres: bool) -> Iterator[Database]:
    if use_postgres:
        with postgres_database() as url:
            database = Database(url)
            try:
                yield database
            finally:
                database.close()
        return
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        try:
            yield database
        finally:
            database.close()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--surveys", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    use_postgres = args.postgres and postgres_reachable()
    if args.postgres and not use_postgres:
        print("PostgreSQL not reachable at 127.0.0.1:5432: measuring on SQLite instead")
    backend = "postgresql" if use_postgres else "sqlite"
    now = datetime.now(UTC).replace(microsecond=0)
    with _database(use_postgres) as database:
        seconds = build(database, args, now)
        with database.read() as connection:
            held = connection.execute(select(func.count()).select_from(cases)).scalar_one()
        print(
            f"console data set on {backend}: {args.submissions:,} submissions, "
            f"{args.complaints:,} complaints, {args.surveys:,} survey answers "
            f"({held:,} case rows) built in {seconds:.1f} s",
            flush=True,
        )
        worst = measure(database, args.runs, now)
    slowest = max(worst, key=worst.__getitem__)
    print(f"slowest p95: {slowest}, {worst[slowest]:.1f} ms (goal < {GOAL_MS:.0f} ms)", flush=True)
    return worst


if __name__ == "__main__":
    main()
