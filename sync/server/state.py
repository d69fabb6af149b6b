"""Everything a running server process shares between requests, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sync.server.attachments import BlobStore
from sync.server.devices import ENROLMENT_GUESSES
from sync.server.gate import DeviceTurns, Gate
from sync.server.ratelimit import RateLimiter
from sync.server.rules import RuleBook
from sync.server.settings import ServerSettings
from sync.server.storage import Database


@dataclass
class ServerState:
    settings: ServerSettings
    database: Database
    store: BlobStore
    gate: Gate
    turns: DeviceTurns  # requests each device has in flight
    rulebook: RuleBook
    instance: str  # this database's id, bound into pull cursors
    clock: Callable[[], datetime]
    # Wrong enrolment codes by client address (memory bounded by the limiter's capacity).
    enrolment_guesses: RateLimiter = field(default_factory=lambda: RateLimiter(ENROLMENT_GUESSES))
