"""What a server process needs to know, resolved once: flags, else environment, else defaults.

SQLite in the server's data folder is the embedded default, so `kiosk-server serve` runs with no
configuration at all; PostgreSQL is one `--db postgresql://...` away.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import platformdirs

from sync.protocol import Limits

APP_NAME = "lengkap-server"
DATA_DIR_ENV = "KIOSK_SERVER_DATA_DIR"
DATABASE_ENV = "KIOSK_SERVER_DB"
DATABASE_FILE = "server.sqlite"
ATTACHMENTS_FOLDER = "attachments"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--data-dir, else $KIOSK_SERVER_DATA_DIR, else the platform's user data folder."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def normalise_database_url(url: str | None, data_dir: Path) -> str:
    """A SQLAlchemy URL: none means the SQLite file in `data_dir`; PostgreSQL goes through psycopg 3."""
    if not url:
        return f"sqlite:///{(data_dir / DATABASE_FILE).resolve()}"
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    if "://" not in url:
        # A bare path is a SQLite file: the shortest way to name one on a command line.
        return f"sqlite:///{Path(url).resolve()}"
    return url


@dataclass(frozen=True)
class ServerSettings:
    """One server process's configuration; tests shrink the limits to exercise them cheaply."""

    data_dir: Path
    database_url: str
    limits: Limits = field(default_factory=Limits)
    # How many pushes and chunk uploads run at once; a few more wait briefly (sync/server/gate.py),
    # the rest are told 429 + Retry-After, at least this many seconds and more under load.
    ingest_concurrency: int = 8
    retry_after_seconds: float = 1.0
    enrollment_ttl: timedelta = timedelta(hours=24)
    migrate_on_start: bool = True

    @classmethod
    def resolve(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
        **overrides: Any,
    ) -> ServerSettings:
        folder = resolve_data_dir(data_dir)
        url = normalise_database_url(database_url or os.environ.get(DATABASE_ENV), folder)
        return cls(data_dir=folder, database_url=url, **overrides)

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / ATTACHMENTS_FOLDER
