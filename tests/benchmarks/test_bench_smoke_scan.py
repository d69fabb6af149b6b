"""The scanning benchmark still runs (a few frames); figures come from `python -m tests.benchmarks`."""

from tests.benchmarks import bench_scan
from tests.benchmarks.scan_corpus import CATEGORIES, generate, make_sample


def test_the_scan_benchmark_runs_on_a_few_frames(capsys):
    bench_scan.main(["--images", "14", "--seed", "3"])
    printed = capsys.readouterr().out
    assert "14 frames (1280x720), seed 3" in printed
    assert "overall" in printed
    assert "scan ours: decode rate" in printed
    assert "scan zxing-cpp: median per frame" in printed


def test_the_corpus_is_seeded_and_covers_every_category():
    first = [(s.category, s.truths, s.image.tobytes()[:5000]) for s in generate(40, seed=7)]
    again = [(s.category, s.truths, s.image.tobytes()[:5000]) for s in generate(40, seed=7)]
    assert first == again
    assert {category for category, _, _ in first} == set(CATEGORIES)
    assert make_sample(5, seed=8).truths != make_sample(5, seed=7).truths
    assert sum(not truths for _, truths, _ in first) == 6  # 15 % of frames carry no code
