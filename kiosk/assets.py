"""Where the shipped data lives: `assets/` in a checkout, `kiosk/_assets` in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path


def assets_dir() -> Path:
    """The assets folder; KIOSK_ASSETS_DIR overrides it (tests, field trials)."""
    override = os.environ.get("KIOSK_ASSETS_DIR")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent
    checkout = package.parent / "assets"
    return checkout if checkout.is_dir() else package / "_assets"
