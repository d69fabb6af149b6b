"""Server tests run twice: on SQLite and on PostgreSQL (skipped, with the reason, when absent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.protocol import Limits
from tests.support.server import (
    BACKENDS,
    EnrolledDevice,
    RunningServer,
    backend_database,
    postgres_url,  # noqa: F401  (fixture)
    running_server,
)

# Small limits, so the tests reach every limit with a few kilobytes.
SMALL_LIMITS = Limits(
    max_batch_records=20,
    max_body_bytes=64 * 1024,
    chunk_bytes=16 * 1024,
    max_attachment_bytes=64 * 1024,
    max_pull_changes=50,
)


@pytest.fixture(scope="session", params=BACKENDS)
def server_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The database every server test of this backend shares (its own, one per session)."""
    with backend_database(
        request.param, tmp_path_factory.mktemp("sqlite") / "server.sqlite"
    ) as url:
        yield url


@pytest.fixture(scope="session")
def server_data_dir(server_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-data")


@pytest.fixture(scope="session")
def live_server(server_db_url: str, server_data_dir: Path) -> Iterator[RunningServer]:
    """The real server under uvicorn on 127.0.0.1, shared by the tests of one backend."""
    with running_server(server_db_url, server_data_dir, limits=SMALL_LIMITS) as server:
        yield server


@pytest.fixture
def device(live_server: RunningServer) -> EnrolledDevice:
    """A freshly enrolled device of area 31.74, so tests never see each other's records."""
    return live_server.enroll()


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, per test: for migrations from empty."""
    with backend_database(request.param, tmp_path / "empty.sqlite") as url:
        yield url
