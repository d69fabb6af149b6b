"""What changed on the server comes back to this device: record states, roster rows, rule files.

One page of changes and its cursor are stored in one transaction, so a cut leaves either all of
the page or none of it, and the next pull starts where the stored cursor says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from functools import partial

from sync.errors import RequestRefused
from sync.ports import ChangeBatch, ChangeSink
from sync.protocol import Change, ChangeKind, ErrorCode, Limits, PullResponse
from sync.run import RunContext


@dataclass(frozen=True)
class ChangePuller:
    """Pulls pages of changes from the stored cursor until the server has no more."""

    run: RunContext
    limits: Limits

    def pull_all(self) -> None:
        cursor = self.run.device.state.pull_cursor()
        restarted = False
        while not self.run.should_stop():
            request = partial(self.run.client.pull, cursor, self.limits.max_pull_changes)
            try:
                page = self.run.retry.call(request)
            except RequestRefused as exc:
                if exc.error_code != ErrorCode.BAD_CURSOR or restarted or cursor is None:
                    raise
                # The server no longer knows our place: download everything again from the start.
                cursor, restarted = None, True
                continue
            applied = apply_page(self.run.device.changes, page)
            self.run.tally.report.changes_applied += applied
            self.run.tally.report.changes_skipped += len(page.changes) - applied
            self.run.tally.publish("changes")
            if not page.has_more or (page.next_cursor == cursor and not page.changes):
                return
            cursor = page.next_cursor


def apply_page(changes: ChangeSink, page: PullResponse) -> int:
    """Apply one page and store its cursor; returns how many changes were applied.

    A change this device cannot use (a record it does not hold, an invalid rule file, a roster
    row without a valid NIK) is skipped rather than blocking every change behind it.
    """
    # Rule files are installed first, outside the transaction: installing is atomic and
    # idempotent, so if the transaction below is lost the next run installs them again.
    installed = {id(change) for change in page.changes if _install_rules(changes, change)}
    applied = 0
    with changes.batch() as batch:
        for change in page.changes:
            if change.kind == ChangeKind.RULES:
                applied += id(change) in installed
            elif change.kind == ChangeKind.STATUS:
                applied += _apply_status(batch, change)
            elif change.kind == ChangeKind.ROSTER:
                applied += _apply_roster(batch, change)
        batch.set_cursor(page.next_cursor)
    return applied


def _stamp(change: Change) -> str:
    return change.changed_at.astimezone(UTC).isoformat(timespec="seconds")


def _install_rules(changes: ChangeSink, change: Change) -> bool:
    if change.kind != ChangeKind.RULES:
        return False
    program, text = change.data.get("program"), change.data.get("text")
    if not isinstance(program, str) or not isinstance(text, str):
        return False
    return changes.install_rules(program, text)  # False: invalid, the rules in force stay


def _apply_status(batch: ChangeBatch, change: Change) -> bool:
    data = change.data
    note, note_en = data.get("note"), data.get("note_en")  # note_en: absent from older servers
    return batch.set_status(
        str(data.get("record_kind")),
        str(data.get("client_id")),
        str(data.get("state")),
        note=note if isinstance(note, str) else None,
        note_en=note_en if isinstance(note_en, str) else None,
        at=_stamp(change),
    )


def _apply_roster(batch: ChangeBatch, change: Change) -> bool:
    program, entry = change.data.get("program"), change.data.get("entry")
    if not isinstance(program, str) or not isinstance(entry, dict):
        return False
    if change.data.get("removed"):
        return batch.remove_roster(program, str(entry.get("nik")))
    return batch.upsert_roster(program, entry, _stamp(change))
