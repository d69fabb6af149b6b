"""Every user-facing sentence comes from assets/i18n/<lang>/*.toml: Bahasa Indonesia first, English second.

Keys are dotted paths ("nik.day_out_of_range"); values are str.format templates. Each topic has
its own file so that parts of the app can grow their texts without touching each other's.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from kiosk.assets import assets_dir

LANGUAGES = ("id", "en")  # the first is the default everywhere


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = str(value)
    return flat


@cache
def catalog(language: str, root: Path | None = None) -> dict[str, str]:
    """All templates of one language, merged from every topic file."""
    folder = (root or assets_dir()) / "i18n" / language
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as handle:
            merged.update(_flatten(tomllib.load(handle)))
    return merged


def text(code: str, language: str = "id", /, **params: Any) -> str:
    """The sentence for `code` in `language`; falls back to the code itself so nothing is hidden."""
    template = catalog(language).get(code)
    if template is None:
        return code if not params else f"{code} {params}"
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def bilingual(code: str, /, **params: Any) -> dict[str, str]:
    """The same sentence in every language, for JSON output and receipts."""
    return {language: text(code, language, **params) for language in LANGUAGES}
