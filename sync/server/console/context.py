"""What every console screen shares: the server's state, the tab's language and the signed-in staff."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.i18n import LANGUAGES, text
from sync.server.errors import ServerError
from sync.server.state import ServerState
from sync.server.storage import Database

IDLE_SECONDS = 15 * 60.0  # a console left signed in is locked after a quarter of an hour
RECHECK_SECONDS = 0.5  # one look at the account per burst of reads, not one per read


class ConsoleContext:
    """One browser tab: the server's state, the language, who is signed in, a notice to show once.

    `user` is re-checked as it is read, at most every `recheck_seconds`, by `session_holds`
    (which the tab sets; None checks nothing): the moment it says no, the tab is signed out.
    """

    def __init__(
        self,
        state_of: Callable[[], ServerState],
        lang: str = LANGUAGES[0],
        user: Any | None = None,  # sync.server.staff.accounts.StaffUser once signed in
        notice: str | None = None,
        *,
        session_holds: Callable[[Any], bool] | None = None,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.state_of = state_of
        self.lang = lang
        self.notice = notice
        self.last_input = time.monotonic()
        self.session_holds = session_holds
        self.recheck_seconds = recheck_seconds
        self.password_changed_at: datetime | None = None  # as it was at sign-in
        # Ends every console session of an account (the tab sets it; the app keeps the sessions).
        self.end_sessions_of: Callable[[Any], None] | None = None
        self._user = user
        self._checked_at = -math.inf

    @property
    def user(self) -> Any | None:
        if self._user is not None and self.session_holds is not None:
            now = time.monotonic()
            if now - self._checked_at >= self.recheck_seconds:
                self._checked_at = now
                if not self.session_holds(self._user):
                    self._user = None
        return self._user

    @user.setter
    def user(self, user: Any | None) -> None:
        self._user = user
        self._checked_at = time.monotonic()  # just decided: no need to ask again at once

    def recheck(self) -> None:
        """Ask `session_holds` at the next read of `user`, however recent the last check."""
        self._checked_at = -math.inf

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
