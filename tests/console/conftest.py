"""Console view models against a real server database (SQLite; tests/staff covers PostgreSQL).

No browser: a `ConsoleContext` is what one tab holds, so the screens' logic runs as a tab would
run it. Each test enrolls its own device in its own area and makes its own staff accounts.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sync.server.console.context import ConsoleContext
from sync.server.staff.accounts import add_user
from sync.server.staff.roles import Role
from sync.server.storage import utc_now
from tests.support.server import EnrolledDevice, RunningServer, running_server

PASSWORD = "kata-sandi-konsol-1"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(None, Path(tmp_path_factory.mktemp("console-server"))) as running:
        yield running


@pytest.fixture
def area() -> str:
    return f"31.{secrets.randbelow(90) + 10}.{secrets.randbelow(90) + 10}"


@pytest.fixture
def device(server: RunningServer, area: str) -> EnrolledDevice:
    return server.enroll(area=area)


@pytest.fixture
def tab(server: RunningServer) -> Callable[..., ConsoleContext]:
    """A tab with a new staff member of `role` signed in; `at` fixes the clock it reads."""

    def open_tab(
        role: Role | str, *, at: datetime | None = None, lang: str = "en"
    ) -> ConsoleContext:
        state = server.state
        if at is not None:
            state = dataclasses.replace(state, clock=lambda: at)
        name = f"{Role(role).value}-{secrets.token_hex(4)}"
        user = add_user(state.database, name, role, PASSWORD, now=utc_now())
        return ConsoleContext(lambda: state, lang=lang, user=user)

    return open_tab
