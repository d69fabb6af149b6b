"""Time and ids for use cases, injected so tests can fix them (the domain never reads the clock)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def system_clock() -> datetime:
    """Now, in the device's own time zone, with its offset (stored as ISO 8601)."""
    return datetime.now().astimezone().replace(microsecond=0)


def new_client_id() -> str:
    return str(uuid.uuid4())
