"""Everything a running server process shares between requests, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sync.server.attachments import BlobStore
from sync.server.gate import DeviceTurns, Gate
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
