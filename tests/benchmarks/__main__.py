"""Run every benchmark and print its figures: python -m tests.benchmarks [--quick]."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    quick = "--quick" in sys.argv
    folder = Path(__file__).parent
    for module in sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    ):
        print(f"\n== {module} ==", flush=True)
        bench = importlib.import_module(f"tests.benchmarks.{module}")
        bench.main(bench.QUICK_ARGS if quick and hasattr(bench, "QUICK_ARGS") else [])


if __name__ == "__main__":
    main()
