"""Where the device keeps its data, and the per-device settings an operator may change there.

The data folder is --data-dir, else KIOSK_DATA_DIR, else the platform's user data dir. Hardware
differs from counter to counter (a handheld scanner's prefix, a slow Bluetooth link, a slow
camera), so `<data-dir>/settings.toml` tunes it without a release; every key is optional.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from kiosk.errors import InputError

APP_NAME = "lengkap"
DATABASE_FILE = "kiosk.sqlite"
SETTINGS_FILE = "settings.toml"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("KIOSK_DATA_DIR")
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class ScannerSettings:
    """`[scanner]`: a handheld scanner in keyboard mode (see kiosk/scan/keyboard.py for why)."""

    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    max_gap_ms: float = 30.0
    hiccup_gap_ms: float = 75.0
    end_timeout_ms: float = 100.0
    min_length: int = 4
    strip_aim_identifier: bool = True


@dataclass(frozen=True)
class CameraSettings:
    """`[camera]`: how often the live camera scan takes a frame, and when it gives up."""

    frame_interval_ms: float = 300.0
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class DeviceSettings:
    scanner: ScannerSettings = ScannerSettings()
    camera: CameraSettings = CameraSettings()


def load_device_settings(data_dir: str | os.PathLike[str]) -> DeviceSettings:
    """The settings in `<data_dir>/settings.toml`; defaults when the file is not there.

    A value of the wrong kind raises InputError naming the section and key (never guessed: a
    mistyped threshold would silently turn scans into typing or typing into scans).
    """
    path = Path(data_dir) / SETTINGS_FILE
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return DeviceSettings()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"cannot read the settings file: {exc}", where=str(path), code="settings.unreadable"
        ) from exc
    return DeviceSettings(
        scanner=_section(data, "scanner", ScannerSettings, path),
        camera=_section(data, "camera", CameraSettings, path),
    )


def _section(data: dict[str, Any], name: str, kind: type[Any], path: Path) -> Any:
    values = data.get(name, {})
    known = {item.name: item for item in fields(kind)}
    if not isinstance(values, dict):
        raise _invalid(path, name, "must be a table")
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise _invalid(path, f"{name}.{unknown[0]}", "is not a setting")
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        default = getattr(kind(), key)
        where = f"{name}.{key}"
        if isinstance(default, tuple):
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise _invalid(path, where, "must be a text or a list of texts")
            parsed[key] = tuple(items)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise _invalid(path, where, "must be true or false")
            parsed[key] = value
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _invalid(path, where, "must be a whole number of at least 1")
            parsed[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise _invalid(path, where, "must be a number above 0")
            parsed[key] = float(value)
    return kind(**parsed)


def _invalid(path: Path, where: str, why: str) -> InputError:
    return InputError(f"{where} {why}", where=f"{path} [{where}]", code="settings.invalid")
