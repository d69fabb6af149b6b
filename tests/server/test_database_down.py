"""A database that does not answer is the server's outage, not its fault (issue 11, item 14):
devices get 503 with Retry-After in the protocol's error shape, and come back later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from sync.protocol import ErrorResponse
from tests.support.server import free_port, running_server


@pytest.fixture
def own_server(server_db_url, tmp_path) -> Iterator:
    """A server of its own (its database is taken away), on the backend's database."""
    with running_server(server_db_url, tmp_path) as server:
        yield server


def _take_the_database_away(server, backend_url: str) -> None:
    """Point the server at a database where nothing answers: a PostgreSQL port where nothing
    listens, or a SQLite file in a folder that does not exist. The machine's PostgreSQL stays up."""
    if backend_url.startswith("postgresql"):
        dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    else:
        dead = "sqlite:////nonexistent-lengkap-folder/server.sqlite"
    database = server.state.database
    database.engine.dispose()
    database.engine = create_engine(
        dead, connect_args={"connect_timeout": 2} if "postgresql" in dead else {}
    )


def test_a_database_that_does_not_answer_is_503_with_retry_after(own_server, server_db_url):
    device = own_server.enroll()
    _take_the_database_away(own_server, server_db_url)
    with device.client() as client:
        pushed = client.post("/v1/push", json={"protocol": 1, "records": []})
        pulled = client.get("/v1/pull")
    with own_server.client() as client:
        enrolled = client.post("/v1/enroll", json={"protocol": 1, "code": "ABCD-EFGH-JKMN"})
    for answer in (pushed, pulled, enrolled):
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["Retry-After"]) >= 1
        error = ErrorResponse.model_validate(answer.json()).error
        assert error.code == "unavailable"
        assert error.retry_after is not None and error.retry_after >= 1
        assert "database" in error.message.en and "basis data" in error.message.id.lower()
