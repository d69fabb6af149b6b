"""The sync benchmarks run, and small seeded runs of them hold the goals that hold on any machine:
every record stored once, bytes on the wire within 1.1x of the payload per record, a cut upload
sending at most one chunk again. These are counts of records and bytes, not times; the rates and
drain times come from `python -m tests.benchmarks` on a quiet machine."""

from pathlib import Path

import pytest

from tests.benchmarks import bench_sync
from tests.support.chaos_proxy import ChaosPlan

# The proxy and uvicorn are asyncio code whose sockets, cut on purpose, are sometimes closed only
# by the garbage collector; that cleanup noise is theirs.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

WIRE_GOAL = 1.1


def test_the_sync_benchmarks_run_on_tiny_sizes(capsys):
    bench_sync.main(
        [
            "--no-postgres",
            "--parts",
            "ingest,throttled",
            "--devices",
            "2",
            "--ingest-records",
            "20",
            "--records",
            "2",
            "--throttled-records",
            "1",
            "--throttle-kbit",
            "20000",
            "--throttle-latency-ms",
            "5",
        ]
    )
    printed = capsys.readouterr().out
    assert "ingest sqlite, 2 devices, 20 records: rate" in printed
    assert "drain over" in printed


def test_ingest_from_several_devices_at_once_stores_every_record_exactly_once(tmp_path: Path):
    run = bench_sync.bench_ingest("sqlite", 3, 45, tmp_path)
    assert run.accepted == len(run.pushed) == 45
    assert sorted(run.stored) == sorted(run.pushed)


def test_each_further_record_costs_at_most_1_1x_its_compressed_payload_on_the_wire(
    tmp_path: Path,
):
    # A sync has a fixed cost (limits, attachment query, pull, headers) that a small backlog
    # cannot amortise, so the goal's shape is the cost of each further record: the difference
    # between two runs' bytes against the difference of their payloads. 100 and 300 records are
    # one and three full batches.
    small = bench_sync.measure_wire("sqlite", 100, tmp_path / "small")
    large = bench_sync.measure_wire("sqlite", 300, tmp_path / "large")
    assert small.stored_once and large.stored_once
    wire = (large.up + large.down) - (small.up + small.down)
    payload = large.payload - small.payload
    assert payload > 0
    assert wire / payload <= WIRE_GOAL, (wire, payload)
    # Requests alone carry the payload plus their headers: never less than the payload.
    assert large.up >= large.payload


def test_a_drain_with_photos_stores_every_record_once_and_sends_little_beyond_the_photos(
    tmp_path: Path,
):
    backlog = bench_sync.build_backlog(tmp_path / "backlog", 3)
    payload = backlog.photo_bytes + bench_sync.compressed_batches(
        bench_sync.outbox_records(backlog.data_dir)
    )
    with bench_sync.central_server("sqlite", tmp_path / "server") as (server_url, db_url):
        done = bench_sync.drain(backlog.data_dir, server_url, db_url, ChaosPlan(weights={}))
    assert (done.sent, done.photos) == (3, 6)
    assert bench_sync.stored_once(done, backlog.data_dir)
    assert payload <= done.bytes_up + done.bytes_down <= WIRE_GOAL * payload


def test_a_cut_upload_sends_at_most_one_chunk_again(tmp_path: Path):
    again = bench_sync.bench_resume("sqlite", tmp_path)
    assert set(again) == {
        "cut halfway through the 2nd chunk",
        "cut at the 2nd chunk's last byte",
        "lost answer to the 2nd chunk",
    }
    assert all(chunks <= 1 for chunks in again.values()), again


def test_a_stamped_photo_is_a_distinct_valid_jpeg():
    import io

    from PIL import Image

    photo = bench_sync.base_photo(1)
    one, two = bench_sync.stamped(photo, "1/0"), bench_sync.stamped(photo, "2/0")
    assert one != two and len(one) == len(two)
    with Image.open(io.BytesIO(one)) as image:
        image.load()
        assert image.format == "JPEG"
