"""Where the device keeps its data: --data-dir, else KIOSK_DATA_DIR, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "lengkap"
DATABASE_FILE = "kiosk.sqlite"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("KIOSK_DATA_DIR")
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
