"""Benchmarks of the device store: `submit` with its outbox row and fsync, and photo normalising.

Run: python -m tests.benchmarks.bench_store [--submissions N] [--photos N]
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from pathlib import Path

from PIL import Image

from kiosk.bootstrap import open_kiosk
from kiosk.services.submissions import record_submission
from kiosk.store.attachments import normalise_photo
from tests.benchmarks.figures import report, summary_ms
from tests.support.requests import kjp_request

QUICK_ARGS = ["--submissions", "100", "--photos", "3"]


def camera_jpeg(width: int = 4000, height: int = 3000, seed: int = 7) -> bytes:
    """A 12-megapixel JPEG with photo-like detail (noise over gradients), as a phone writes it."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    photo = Image.blend(base, noise, 0.5)
    for _ in range(60):
        x, y = rng.randrange(width - 400), rng.randrange(height - 60)
        photo.paste((20, 20, 40), (x, y, x + rng.randrange(100, 400), y + 30))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    return out.getvalue()


def bench_submit(count: int, folder: Path) -> list[float]:
    kiosk = open_kiosk(folder)
    request = kjp_request()
    timings = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            record_submission(kiosk, request)
            timings.append(time.perf_counter() - started)
    finally:
        kiosk.close()
    return timings


def bench_normalise(count: int) -> list[float]:
    data = camera_jpeg()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        normalise_photo(data)
        timings.append(time.perf_counter() - started)
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        timings = bench_submit(args.submissions, Path(folder))
    summary_ms(
        f"submit with outbox + fsync ({args.submissions} on disk)", timings, goal_p95="< 30 ms"
    )
    report("submit throughput", len(timings) / sum(timings), "rec/s")
    summary_ms(
        "normalise a 12-megapixel JPEG", bench_normalise(args.photos), goal_median="< 400 ms"
    )


if __name__ == "__main__":
    main()
