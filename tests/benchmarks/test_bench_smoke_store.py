"""The store benchmarks still run (tiny sizes); their figures come from `python -m tests.benchmarks`."""

from tests.benchmarks import bench_store


def test_the_store_benchmarks_run_on_tiny_sizes(tmp_path, capsys):
    bench_store.main(["--submissions", "5", "--photos", "1"])
    printed = capsys.readouterr().out
    assert "submit with outbox" in printed
    assert "normalise a 12-megapixel JPEG" in printed
