"""Chaos tests run on SQLite and, through the shared fixture, on PostgreSQL."""

from pathlib import Path

import pytest

from tests.support.server import postgres_url  # noqa: F401  (fixture)


@pytest.fixture(scope="session")
def postgres_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server folder (photo store) that goes with the session's one PostgreSQL database.

    Seeds that share a database must share its store: the attachments table says which photos
    the server holds, and they must be in the store every server of that database reads.
    """
    return tmp_path_factory.mktemp("postgres-server")
