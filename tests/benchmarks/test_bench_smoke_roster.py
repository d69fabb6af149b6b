"""The roster benchmarks run, and small seeded runs hold the shape of their goals on any machine:
a NIK lookup goes through the index (its plan, and a full scan of the same rows measured in the
same run is several times slower), and a misspelt name finds its person in the top 10. The
times themselves come from `python -m tests.benchmarks`."""

import statistics
import time

from kiosk.bootstrap import open_kiosk
from kiosk.services.roster import find_by_nik
from tests.benchmarks import bench_roster
from tests.benchmarks.roster_data import misspell, name_queries, people

# The README's figure is 99.3 % over 20,000 names; a seeded 2,000-name village must do as well
# as the goal the officers were promised: the right person on the first screen of results.
TOP_10_RECALL_GOAL = 0.95


def test_the_roster_benchmarks_run_on_tiny_sizes(capsys):
    bench_roster.main(["--rows", "2000", "--lookups", "50", "--village", "500", "--queries", "20"])
    printed = capsys.readouterr().out
    assert "roster import (2,000 rows" in printed
    assert "NIK lookup (50 random): median" in printed
    assert "name search (20 misspelt, 500 names): p95" in printed


def test_a_nik_lookup_searches_the_index_and_beats_a_full_scan_measured_alongside(tmp_path):
    _, niks, data_dir = bench_roster.bench_import(20_000, tmp_path, sample=200)
    kiosk = open_kiosk(data_dir)
    try:
        statements: list[str] = []
        kiosk.db.conn.set_trace_callback(statements.append)
        assert find_by_nik(kiosk.db, niks[0])
        kiosk.db.conn.set_trace_callback(None)
        plans = [
            row[3] for sql in statements for row in kiosk.db.execute(f"EXPLAIN QUERY PLAN {sql}")
        ]
        assert plans and all(plan.startswith("SEARCH roster USING INDEX") for plan in plans), plans
        # The same rows read whole (the index switched off with +nik), interleaved with lookups
        # so both see the same load on a shared machine.
        lookups, scans = [], []
        for nik in niks[:60]:
            started = time.perf_counter()
            assert find_by_nik(kiosk.db, nik)
            lookups.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert kiosk.db.execute("SELECT * FROM roster WHERE +nik = ?", [nik]).fetchall()
            scans.append(time.perf_counter() - started)
    finally:
        kiosk.close()
    assert statistics.median(lookups) * 5 < statistics.median(scans), (
        statistics.median(lookups),
        statistics.median(scans),
    )


def test_a_misspelt_name_finds_its_person_in_the_top_10(tmp_path):
    _, _, recall = bench_roster.bench_name_search(2000, 100, tmp_path)
    assert recall >= TOP_10_RECALL_GOAL


def test_the_generator_is_deterministic_and_its_niks_unique():
    first = [(p.nik, p.name) for p in people(12_000, seed=5)]
    assert first == [(p.nik, p.name) for p in people(12_000, seed=5)]
    assert len({nik for nik, _ in first}) == 12_000
    assert first != [(p.nik, p.name) for p in people(12_000, seed=6)]


def test_queries_are_misspelt_roster_names():
    roster = list(people(200, seed=5))
    queries = name_queries(roster, 50)
    assert queries == name_queries(roster, 50)
    assert {nik for _, nik in queries} <= {p.nik for p in roster}
    assert sum(query != next(p.name for p in roster if p.nik == nik) for query, nik in queries) > 40


def test_misspell_changes_a_name():
    import random

    rng = random.Random(1)
    assert any(misspell("Muhammad Abdul Rahman", rng) != "Muhammad Abdul Rahman" for _ in range(5))
