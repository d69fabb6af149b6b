"""The composition root: one place that opens the device's database and wires services for a process.

Nothing here runs at import; callers (CLI, app, tests) call `open_kiosk` when they need it. The
sync engine gets the store through `sync_device`, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from kiosk.settings import DATABASE_FILE, resolve_data_dir
from kiosk.store.database import open_database
from kiosk.store.sync_device import StoreChanges, StoreOutbox, StorePhotos, StoreSyncState
from sync.ports import Device


@dataclass
class Kiosk:
    """What a running kiosk process holds: its data folder and its open database."""

    data_dir: Path
    db: sqlite_utils.Database

    def close(self) -> None:
        self.db.close()


def open_kiosk(data_dir: str | Path | None = None) -> Kiosk:
    folder = resolve_data_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return Kiosk(data_dir=folder, db=open_database(folder / DATABASE_FILE))


def sync_device(kiosk: Kiosk) -> Device:
    """The kiosk's store behind the sync engine's interface (sync/ports.py), on this connection."""
    return Device(
        outbox=StoreOutbox(kiosk.db),
        state=StoreSyncState(kiosk.db, kiosk.data_dir),
        photos=StorePhotos(kiosk.data_dir),
        changes=StoreChanges(kiosk.db, kiosk.data_dir),
    )
