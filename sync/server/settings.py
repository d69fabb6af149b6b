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

from kiosk.domain.complaints import ClockTolerance
from sync.protocol import Limits
from sync.server.errors import AdminError

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
    # A request body must arrive whole within `body_seconds`, and after the first
    # `body_grace_seconds` at `body_min_rate` bytes a second at least; else 408 request_timeout.
    # A 2 MB push over a 20 KB/s village link takes under two minutes; one byte every two
    # seconds (a slow-loris client) is cut off after the grace.
    body_seconds: float = 180.0
    body_grace_seconds: float = 10.0
    body_min_rate: int = 256
    # Requests one device may have in flight at once (reading a body included); more are 429.
    # The sync engine sends one at a time, so a few is generous.
    device_concurrency: int = 4
    # Unfinished chunked uploads one device may hold, by count and by declared size.
    pending_uploads_per_device: int = 16
    pending_upload_bytes_per_device: int = 64 * 1024 * 1024
    # Unfinished uploads untouched this long are deleted: at start, then every sweep interval.
    abandoned_upload_age: timedelta = timedelta(hours=72)
    upload_sweep_interval: timedelta = timedelta(hours=1)
    # Below this much free space where attachments are stored, chunks are refused (507).
    min_free_bytes: int = 512 * 1024 * 1024
    enrollment_ttl: timedelta = timedelta(hours=24)
    # A complaint's stated filing time further than this from its receipt is not believed: its
    # deadlines count from the receipt and the case says so (kiosk/domain/complaints.py).
    clock_tolerance: ClockTolerance = field(default_factory=ClockTolerance)
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
        return cls(data_dir=folder, database_url=url, **{**_tuned_from_environment(), **overrides})

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / ATTACHMENTS_FOLDER


# Limits an operator may tune without code, as $KIOSK_SERVER_<NAME> (seconds for durations).
TUNABLE_ENV_PREFIX = "KIOSK_SERVER_"
_TUNABLE: dict[str, type] = {
    "body_seconds": float,
    "body_grace_seconds": float,
    "body_min_rate": int,
    "device_concurrency": int,
    "pending_uploads_per_device": int,
    "pending_upload_bytes_per_device": int,
    "abandoned_upload_age": timedelta,
    "upload_sweep_interval": timedelta,
    "min_free_bytes": int,
}


def _tuned_from_environment() -> dict[str, Any]:
    tuned: dict[str, Any] = {}
    for name, kind in _TUNABLE.items():
        raw = os.environ.get(TUNABLE_ENV_PREFIX + name.upper())
        if raw is None or not raw.strip():
            continue
        variable = TUNABLE_ENV_PREFIX + name.upper()
        try:
            number = float(raw)
        except ValueError:
            number = -1.0
        if not number >= 0:  # also refuses nan
            raise AdminError("bad_setting", f"${variable} is not a number >= 0", name=variable)
        if kind is timedelta:
            tuned[name] = timedelta(seconds=number)
        elif kind is int:
            tuned[name] = int(number)
        else:
            tuned[name] = number
    return tuned
