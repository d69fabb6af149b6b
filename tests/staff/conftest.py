"""Staff console tests run on SQLite and on PostgreSQL, against the real server on 127.0.0.1.

Each test enrolls its own device in its own area and makes its own staff accounts, so tests that
share one server per backend never see each other's cases.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from sync.server.staff.accounts import StaffUser, add_user
from sync.server.staff.roles import Role
from sync.server.storage import Database, utc_now
from tests.support.server import (
    BACKENDS,
    EnrolledDevice,
    RunningServer,
    backend_database,
    running_server,
)

PASSWORD = "kata-sandi-uji-123"


@pytest.fixture(scope="session", params=BACKENDS)
def staff_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    sqlite_file = tmp_path_factory.mktemp("staff-sqlite") / "server.sqlite"
    with backend_database(request.param, sqlite_file) as url:
        yield url


@pytest.fixture(scope="session")
def live_server(
    staff_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    with running_server(staff_db_url, tmp_path_factory.mktemp("staff-server")) as server:
        yield server


@pytest.fixture
def db(live_server: RunningServer) -> Database:
    return live_server.state.database


@pytest.fixture
def area() -> str:
    """A district of its own for this test (31.<regency>.<district>), to filter on."""
    return f"31.{secrets.randbelow(90) + 10}.{secrets.randbelow(90) + 10}"


@pytest.fixture
def device(live_server: RunningServer, area: str) -> EnrolledDevice:
    return live_server.enroll(area=area)


@pytest.fixture
def staff(db: Database) -> Callable[[Role | str], StaffUser]:
    """Makes a staff account with `role` (and the shared test password)."""

    def make(role: Role | str, name: str | None = None) -> StaffUser:
        chosen = name or f"{Role(role).value}-{secrets.token_hex(4)}"
        return add_user(db, chosen, role, PASSWORD, now=utc_now())

    return make
