"""The sync benchmarks still run (tiny sizes, SQLite); figures come from `python -m tests.benchmarks`."""

import pytest

from tests.benchmarks import bench_sync

# The proxy and uvicorn are asyncio code whose sockets, cut on purpose, are sometimes closed only
# by the garbage collector; that cleanup noise is theirs.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_the_sync_benchmarks_run_on_tiny_sizes(capsys):
    bench_sync.main(
        [
            "--no-postgres",
            "--devices",
            "1,3",
            "--ingest-records",
            "30",
            "--records",
            "2",
            "--throttled-records",
            "1",
            "--wire-records",
            "20",
            "--throttle-kbit",
            "20000",
            "--throttle-latency-ms",
            "5",
        ]
    )
    printed = capsys.readouterr().out
    assert "ingest sqlite, 3 devices, 30 records: rate" in printed
    assert "wire up + down / compressed payload sent" in printed
    assert "resume: worst bytes re-sent, in chunks" in printed
    assert "drain 2 records + 4 photos, loopback, sqlite: time" in printed
    assert "drain over" in printed


def test_a_stamped_photo_is_a_distinct_valid_jpeg():
    import io

    from PIL import Image

    photo = bench_sync.base_photo(1)
    one, two = bench_sync.stamped(photo, "1/0"), bench_sync.stamped(photo, "2/0")
    assert one != two and len(one) == len(two)
    with Image.open(io.BytesIO(one)) as image:
        image.load()
        assert image.format == "JPEG"
