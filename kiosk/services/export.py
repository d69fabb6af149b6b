"""Everything the device holds, as JSON lines: a backup, an audit, or a hand-carried transfer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from kiosk.bootstrap import Kiosk
from kiosk.errors import InputError
from kiosk.store.records import iter_records


def parse_since(text: str | None) -> str | None:
    """An ISO date or date-time to compare against stored ISO timestamps."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InputError(
            "expected a date like 2026-07-01",
            where="--since",
            code="export.bad_since",
            params={"value": text},
        ) from exc


def export_records(kiosk: Kiosk, since: str | None = None) -> Iterator[dict[str, Any]]:
    yield from iter_records(kiosk.db, parse_since(since))
