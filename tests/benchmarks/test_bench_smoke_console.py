"""The console benchmark still runs (a small seeded data set); figures come from bench_console."""

from tests.benchmarks import bench_console


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
