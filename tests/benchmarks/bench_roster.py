"""Benchmarks of the roster: a province-sized import, NIK lookups, and name search in a village.

Run: python -m tests.benchmarks.bench_roster [--rows N] [--lookups N] [--village N] [--queries N]
Goals: NIK lookup median < 1 ms; name search p95 < 50 ms over a 20,000-name village roster.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk.bootstrap import open_kiosk
from kiosk.regions import default_regions
from kiosk.services.roster import find_by_nik, import_roster, search_by_name
from kiosk.store.roster import name_index
from tests.benchmarks.figures import report, summary_ms
from tests.benchmarks.roster_data import name_queries as make_queries
from tests.benchmarks.roster_data import people, write_roster_csv

QUICK_ARGS = ["--rows", "2000", "--lookups", "200", "--village", "2000", "--queries", "50"]
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def bench_import(rows: int, folder: Path, sample: int) -> tuple[float, list[str], Path]:
    """Import `rows` generated people into a SQLite file: (rows/s, sampled NIKs, data dir)."""
    csv_path = folder / "roster.csv"
    niks = write_roster_csv(csv_path, rows, sample=sample)
    data_dir = folder / "province"
    kiosk = open_kiosk(data_dir)
    try:
        result = import_roster(kiosk.db, csv_path, "pkh", regions=default_regions(), now=NOW)
    finally:
        kiosk.close()
    if result.imported != rows:
        raise AssertionError(
            f"imported {result.imported} of {rows} rows; rejected {result.rejected}"
        )
    return rows / result.seconds, niks, data_dir


def bench_nik_lookups(data_dir: Path, niks: list[str], lookups: int) -> list[float]:
    rng = random.Random(11)
    kiosk = open_kiosk(data_dir)
    timings = []
    try:
        for nik in rng.choices(niks, k=lookups):
            started = time.perf_counter()
            found = find_by_nik(kiosk.db, nik)
            timings.append(time.perf_counter() - started)
            if not found:
                raise AssertionError("a NIK from the imported file was not found")
    finally:
        kiosk.close()
    return timings


def bench_name_search(village: int, queries: int, folder: Path) -> tuple[float, list[float], float]:
    """(index build seconds, per-query seconds, share of queries whose person is in the top 10)."""
    roster = list(people(village, seed=99))
    csv_path = folder / "village.csv"
    write_roster_csv(csv_path, village, seed=99)
    kiosk = open_kiosk(folder / "village")
    try:
        import_roster(kiosk.db, csv_path, "kjp-plus", regions=default_regions(), now=NOW)
        started = time.perf_counter()
        name_index(kiosk.db, "kjp-plus")
        build = time.perf_counter() - started
        timings = []
        found = 0
        for query, nik in make_queries(roster, queries):
            started = time.perf_counter()
            matches = search_by_name(kiosk.db, query, "kjp-plus", limit=10)
            timings.append(time.perf_counter() - started)
            found += any(match.entry.nik == nik for match in matches)
    finally:
        kiosk.close()
    return build, timings, found / max(1, queries)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the imported roster")
    parser.add_argument("--lookups", type=int, default=10_000, help="random NIK lookups")
    parser.add_argument("--village", type=int, default=20_000, help="names in the village roster")
    parser.add_argument("--queries", type=int, default=1_000, help="misspelt name searches")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        rate, niks, data_dir = bench_import(args.rows, folder, sample=min(args.rows, 10_000))
        report(f"roster import ({args.rows:,} rows, SQLite file)", rate, "rows/s")
        lookups = bench_nik_lookups(data_dir, niks, args.lookups)
        summary_ms(f"NIK lookup ({args.lookups:,} random)", lookups, goal_median="< 1 ms")
        build, searches, recall = bench_name_search(args.village, args.queries, folder)
        report(f"name index build ({args.village:,} names)", build * 1000, "ms")
        summary_ms(
            f"name search ({args.queries:,} misspelt, {args.village:,} names)",
            searches,
            goal_p95="< 50 ms",
        )
        report("name search: person found in the top 10", recall * 100, "%")


if __name__ == "__main__":
    main()
