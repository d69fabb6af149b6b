"""A bad link, kills at random moments, and still every record arrives exactly once.

Real parts only, on loopback: the server (SQLite, then PostgreSQL), the fault-injecting proxy, a
kiosk's data folder filled through the real services, sync child processes SIGKILLed mid-work,
and `kiosk sync --once` to finish. See tests/chaos/scenario.py for the run and the verdict; the
sync benchmark's `--soak` runs the same with more seeds and more records.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from tests.chaos.scenario import ChaosSize, run_chaos

pytestmark = [
    pytest.mark.slow,
    # The proxy and uvicorn are asyncio code whose sockets, cut on purpose mid-stream, are
    # sometimes closed only by the garbage collector; that cleanup noise is theirs.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# Several seeds in CI, small enough that the whole module stays well under two minutes.
SQLITE_SEEDS = (11, 12, 13)
POSTGRES_SEEDS = (21, 22)
SIZE = ChaosSize()


def _check(
    db_url: str | None, folder: Path, seed: int, backend: str, server_dir: Path | None = None
) -> None:
    result = run_chaos(db_url, folder, seed, backend, SIZE, server_dir)
    print(result.summary())  # the figures, for `pytest -s`
    gc.collect()  # let cut sockets be cleaned up here, under this module's warning filter
    assert not result.problems, result.summary()
    assert result.kills >= 1, result.summary()  # the storm really killed a sync mid-way
    assert result.cuts >= 3, result.summary()  # and the link really cut connections
    assert result.created >= SIZE.submissions + SIZE.complaints


@pytest.mark.parametrize("seed", SQLITE_SEEDS)
def test_sqlite_server_holds_every_record_once_after_kills_and_a_bad_link(
    seed: int, tmp_path: Path
) -> None:
    _check(None, tmp_path, seed, "sqlite")


@pytest.mark.parametrize("seed", POSTGRES_SEEDS)
def test_postgres_server_holds_every_record_once_after_kills_and_a_bad_link(
    seed: int, tmp_path: Path, postgres_url: str, postgres_server_dir: Path
) -> None:
    _check(postgres_url, tmp_path, seed, "postgresql", postgres_server_dir)
