"""The app benchmark still runs (tiny sizes, two browser sessions); figures come from
`python -m tests.benchmarks.bench_app`. It runs as its own process: a cold start is a new process,
and Playwright's sync API cannot start inside the e2e tests' running one."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.browser import chromium_missing_reason

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_benchmark_runs_on_tiny_sizes():
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    command = [sys.executable, "-m", "tests.benchmarks.bench_app", "--actions", "2"]
    result = subprocess.run(
        [*command, "--sessions", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "status by register number: p95" in result.stdout
    assert "to the first interactive screen" in result.stdout
    assert "RSS with 2 browser sessions open" in result.stdout
