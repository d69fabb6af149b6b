"""Small helpers the benchmarks share: percentiles and one printed line per figure."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, value: float, unit: str, goal: str = "") -> dict[str, object]:
    line = f"{name:<52} {value:>12.2f} {unit:<8}"
    if goal:
        line += f"  (goal {goal})"
    print(line, flush=True)
    return {"name": name, "value": value, "unit": unit, "goal": goal}


def summary_ms(
    name: str, seconds: Sequence[float], goal_p95: str = "", goal_median: str = ""
) -> None:
    millis = [s * 1000 for s in seconds]
    report(f"{name}: median", statistics.median(millis), "ms", goal_median)
    report(f"{name}: p95", percentile(millis, 0.95), "ms", goal_p95)
