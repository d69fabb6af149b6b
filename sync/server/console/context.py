"""What every console screen shares: the server's state, the tab's language and the signed-in staff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.i18n import LANGUAGES, text
from sync.server.errors import ServerError
from sync.server.state import ServerState
from sync.server.storage import Database

IDLE_SECONDS = 15 * 60.0  # a console left signed in is locked after a quarter of an hour


@dataclass
class ConsoleContext:
    """One browser tab: the server's state, the language, who is signed in, a notice to show once."""

    state_of: Callable[[], ServerState]
    lang: str = LANGUAGES[0]
    user: Any | None = None  # sync.server.staff.accounts.StaffUser once signed in
    notice: str | None = None
    last_input: float = field(default_factory=time.monotonic)

    @property
    def state(self) -> ServerState:
        return self.state_of()

    @property
    def db(self) -> Database:
        return self.state.database

    def now(self) -> datetime:
        return self.state.clock()

    def t(self, code: str, **params: Any) -> str:
        return text(code, self.lang, **params)

    def error_text(self, exc: ServerError) -> str:
        return exc.message(self.lang)

    def take_notice(self) -> str | None:
        notice, self.notice = self.notice, None
        return notice

    def touch(self) -> None:
        self.last_input = time.monotonic()

    def is_idle(self, now: float | None = None, limit: float = IDLE_SECONDS) -> bool:
        return (now if now is not None else time.monotonic()) - self.last_input >= limit
