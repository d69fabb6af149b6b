"""Console view models against a real server database (SQLite; tests/staff covers PostgreSQL).

No browser: a `ConsoleContext` is what one tab holds, so the screens' logic runs as a tab would
run it. Each test enrolls its own device in its own area and makes its own staff accounts.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.domain.credentials import TOTP_PERIOD_SECONDS, totp_code, totp_step
from sync.server.console.context import ConsoleContext
from sync.server.staff import twofactor
from sync.server.staff.accounts import add_user, set_totp
from sync.server.staff.roles import Role
from sync.server.state import ServerState
from sync.server.storage import utc_now
from tests.support.server import EnrolledDevice, RunningServer, running_server
from tests.support.totp import Authenticator

PASSWORD = "kata-sandi-konsol-1"
AUTHENTICATOR = Authenticator()  # the codes of every account these tests give TOTP


def code_for(name: str) -> str:
    """The next unused code of `name`'s authenticator app; "" for an account without TOTP."""
    return AUTHENTICATOR.code(name)


def set_up_totp(state: ServerState, name: str) -> None:
    """TOTP as `kiosk-server user totp` sets it up, confirmed a few steps ago (so that the codes
    of now are still unused)."""
    secret = twofactor.new_secret()
    earlier = utc_now() - timedelta(seconds=3 * TOTP_PERIOD_SECONDS)
    key = twofactor.server_key(state.settings.data_dir)
    code = totp_code(secret, totp_step(earlier))
    set_totp(state.database, name, secret, code, now=earlier, totp_key=key)
    AUTHENTICATOR.add(name, secret, totp_step(earlier))


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
        if user.role in twofactor.REQUIRED_FOR:
            set_up_totp(state, name)
        return ConsoleContext(lambda: state, lang=lang, user=user)

    return open_tab
