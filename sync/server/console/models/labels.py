"""Translated labels for the backend's keys (columns, tables, states), falling back to the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kiosk.i18n import catalog, text

# Staff work in Jakarta; times are shown in WIB (UTC+7, no daylight saving).
WIB = timezone(timedelta(hours=7), "WIB")


def label(prefix: str, key: object, lang: str) -> str:
    """`prefix.key` translated; the key itself when there is no translation (nothing hidden)."""
    code = f"{prefix}.{key}"
    return text(code, lang) if code in catalog(lang) else str(key)


def local_time(moment: datetime | None) -> str:
    """`2026-08-06 10:00 WIB`; empty for no time."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")
