"""The store benchmarks run, and small runs hold the shape of their goals on any machine.

Submit (goal p95 < 30 ms with fsync): one durable transaction per submission, the same statements
for the 5th and the 60th, and no statement that reads a growing table from end to end - the
things that would make the time grow with the counter's day. Normalising a 12-megapixel photo
(goal median < 400 ms): decoded once, and no dearer than a few plain decodes of the same photo
measured in the same run. Times themselves come from `python -m tests.benchmarks`.
"""

from __future__ import annotations

import io
import re
import statistics
import time
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from kiosk.bootstrap import open_kiosk
from kiosk.services.submissions import record_submission
from kiosk.store.attachments import MAX_SIDE, normalise_photo
from tests.benchmarks import bench_store
from tests.support.requests import kjp_request

# Tables with a handful of rows whatever the day brings: reading them whole costs nothing.
SMALL_TABLES = {"meta", "counters"}
TRANSACTION = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def test_the_store_benchmarks_run_on_tiny_sizes(tmp_path, capsys):
    bench_store.main(["--submissions", "5", "--photos", "1"])
    printed = capsys.readouterr().out
    assert "submit with outbox" in printed
    assert "normalise a 12-megapixel JPEG" in printed


def traced_submissions(folder: Path, count: int) -> list[list[str]]:
    """The SQL each of `count` submissions ran, one list per submission."""
    kiosk = open_kiosk(folder)
    runs: list[list[str]] = []
    try:
        assert kiosk.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync per commit
        for _ in range(count):
            statements: list[str] = []
            kiosk.db.conn.set_trace_callback(statements.append)
            record_submission(kiosk, kjp_request())
            kiosk.db.conn.set_trace_callback(None)
            runs.append(statements)
        plans = {
            statement: [
                row[3] for row in kiosk.db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
            ]
            for statement in runs[-1]
            if not TRANSACTION.match(statement)
        }
    finally:
        kiosk.close()
    runs.append([f"{detail}" for details in plans.values() for detail in details])
    return runs


def test_each_submission_is_one_durable_transaction_of_constant_work(tmp_path):
    *runs, plan_lines = traced_submissions(tmp_path, 60)
    for statements in runs:
        commits = [s for s in statements if s.upper().startswith(("COMMIT", "BEGIN"))]
        assert commits == ["BEGIN", "COMMIT"]  # the record and its outbox row, fsynced together
        assert any(s.startswith("INSERT INTO outbox") for s in statements)
    shape = [len(statements) for statements in runs]
    assert shape[4] == shape[-1], shape  # the 60th does no more than the 5th
    scans = [line for line in plan_lines if line.startswith("SCAN")]
    assert all(line.split()[1] in SMALL_TABLES for line in scans), scans


def decoded_sizes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counted(image: ImageFile.ImageFile) -> object:
        if image.tile:  # pixels still to decode; a loaded image's load() returns at once
            sizes.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted)
    return sizes


def test_normalising_a_12_megapixel_photo_decodes_it_once_and_costs_a_few_plain_decodes(
    monkeypatch,
):
    photo = bench_store.camera_jpeg()
    sizes = decoded_sizes(monkeypatch)
    normalised, width, height = normalise_photo(photo)
    assert len(sizes) == 1, sizes  # one decode of the camera's bytes
    assert max(width, height) <= MAX_SIDE
    with Image.open(io.BytesIO(normalised)) as image:
        assert image.size == (width, height)

    def plain_decode() -> None:
        with Image.open(io.BytesIO(photo)) as image:
            image.load()

    # Interleaved, so both see the same load on a shared machine.
    plain, normalising = [], []
    for _ in range(3):
        for timings, work in ((plain, plain_decode), (normalising, lambda: normalise_photo(photo))):
            started = time.perf_counter()
            work()
            timings.append(time.perf_counter() - started)
    ratio = statistics.median(normalising) / statistics.median(plain)
    assert ratio < 4, (statistics.median(normalising), statistics.median(plain))
