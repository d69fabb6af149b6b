"""What the server sends back, applied to this device: record states, roster rows, rule files.

One page of changes and its cursor are stored in one transaction, so a cut leaves either all of
the page or none of it, and the next pull starts where the stored cursor says.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import sqlite_utils

from kiosk.errors import RuleFileError
from kiosk.store.roster import RosterEntry, upsert_entries
from kiosk.store.sync_state import (
    apply_status,
    install_rule_text,
    remove_roster_entry,
    roster_entry_from_server,
    set_pull_cursor,
)
from sync.protocol import Change, ChangeKind, PullResponse


def apply_page(db: sqlite_utils.Database, data_dir: Path, page: PullResponse) -> int:
    """Apply one page and store its cursor; returns how many changes were applied.

    A change this device cannot use (a record it does not hold, an invalid rule file, a roster
    row without a valid NIK) is skipped rather than blocking every change behind it.
    """
    # Rule files are installed first, outside the transaction: installing is atomic and
    # idempotent, so if the transaction below is lost the next run installs them again.
    installed = {id(change) for change in page.changes if _install_rules(data_dir, change)}
    applied = 0
    with db.atomic():
        entries: list[RosterEntry] = []
        for change in page.changes:
            if change.kind == ChangeKind.RULES:
                applied += id(change) in installed
            elif change.kind == ChangeKind.STATUS:
                applied += _apply_status(db, change)
            elif change.kind == ChangeKind.ROSTER:
                applied += _apply_roster(db, change, entries)
        upsert_entries(db, entries)
        set_pull_cursor(db, page.next_cursor)
    return applied


def _stamp(change: Change) -> str:
    return change.changed_at.astimezone(UTC).isoformat(timespec="seconds")


def _install_rules(data_dir: Path, change: Change) -> bool:
    if change.kind != ChangeKind.RULES:
        return False
    program, text = change.data.get("program"), change.data.get("text")
    if not isinstance(program, str) or not isinstance(text, str):
        return False
    try:
        install_rule_text(data_dir, program, text)
    except RuleFileError:
        return False  # the rules in force stay
    return True


def _apply_status(db: sqlite_utils.Database, change: Change) -> bool:
    data = change.data
    note, note_en = data.get("note"), data.get("note_en")  # note_en: absent from older servers
    return apply_status(
        db,
        str(data.get("record_kind")),
        str(data.get("client_id")),
        str(data.get("state")),
        note if isinstance(note, str) else None,
        _stamp(change),
        note_en=note_en if isinstance(note_en, str) else None,
    )


def _apply_roster(db: sqlite_utils.Database, change: Change, entries: list[RosterEntry]) -> bool:
    program, entry = change.data.get("program"), change.data.get("entry")
    if not isinstance(program, str) or not isinstance(entry, dict):
        return False
    if change.data.get("removed"):
        # The page's earlier rows first, so a removal that follows an addition wins.
        upsert_entries(db, entries)
        entries.clear()
        remove_roster_entry(db, program, str(entry.get("nik")))
        return True
    parsed = roster_entry_from_server(program, entry, _stamp(change))
    if parsed is None:
        return False
    entries.append(parsed)
    return True
