"""The roster benchmarks still run (tiny sizes); figures come from `python -m tests.benchmarks`."""

from tests.benchmarks import bench_roster
from tests.benchmarks.roster_data import misspell, name_queries, people


def test_the_roster_benchmarks_run_on_tiny_sizes(capsys):
    bench_roster.main(["--rows", "2000", "--lookups", "50", "--village", "500", "--queries", "20"])
    printed = capsys.readouterr().out
    assert "roster import (2,000 rows" in printed
    assert "NIK lookup (50 random): median" in printed
    assert "name search (20 misspelt, 500 names): p95" in printed


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
