"""The complaints queue and case screen without a browser: order, flags, filters, conflicts."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from kiosk.i18n import text
from sync.server.console.models import complaints
from sync.server.errors import PermissionDenied, StaleEdit, TransitionNotAllowed
from sync.server.staff import cases
from sync.server.staff.roles import Action
from sync.server.storage import utc_now
from tests.staff.helpers import new_complaint, status_changes


def queue_for(ctx, area: str) -> complaints.QueueScreen:
    screen = complaints.QueueScreen(form={"area_prefix": area})
    complaints.load_queue(ctx, screen)
    assert screen.error is None, screen.error
    return screen


def test_the_queue_puts_the_nearest_deadline_first_and_marks_overdue_and_escalated(
    tab, device, area
):
    first, second, third = (new_complaint(device) for _ in range(3))
    supervisor = tab("supervisor")
    # Classifying answers the complaint, so its next deadline becomes the (later) resolution date.
    editor = complaints.ComplaintEditor(supervisor, first)
    assert editor.load() is None
    editor.drafts.update(category="wrong_data", severity="high")
    assert editor.perform(Action.CLASSIFY).ok
    escalated = complaints.ComplaintEditor(supervisor, third)
    escalated.load()
    escalated.drafts["escalate_note"] = "Needs a decision on the bank's answer."
    assert escalated.perform(Action.ESCALATE).ok

    lines = queue_for(supervisor, area).lines
    assert [line.number for line in lines] == [second, third, first]
    assert all(line.overdue for line in lines)  # filed in 2025: every deadline has passed
    assert [line.escalated for line in lines] == [False, True, False]
    assert lines[1].flags(supervisor) == "OVERDUE · ESCALATED"
    assert lines[2].category == text("category.wrong_data", "en")
    assert lines[2].severity == "High"
    assert lines[0].due.endswith(" WIB")


def test_a_complaint_not_yet_due_is_not_flagged(tab, device, area):
    number = new_complaint(device)
    long_ago = utc_now().replace(year=2025, month=7, day=14, hour=10)
    line = queue_for(tab("officer", at=long_ago), area).lines[0]
    assert (line.number, line.overdue, line.flags(tab("officer"))) == (number, False, "")


def test_a_bad_queue_filter_names_the_field_and_changes_nothing(tab):
    ctx = tab("officer")
    screen = complaints.QueueScreen(form={"area_prefix": "31.7x"})
    complaints.load_queue(ctx, screen)
    assert screen.error_field == "area_prefix"
    assert "area_prefix" in screen.error and "31.7x" in screen.error
    screen.form = {"state": "lost"}
    complaints.load_queue(ctx, screen)
    assert screen.error_field == "state"


def test_a_conflicting_edit_keeps_the_typed_text_and_goes_through_after_a_reload(tab, device):
    number = new_complaint(device)
    mine, theirs = (
        complaints.ComplaintEditor(tab(role), number) for role in ("supervisor", "officer")
    )
    assert mine.load() is None and theirs.load() is None
    typed = "Called the complainant; waiting for the bank's transfer proof."
    mine.drafts["note_text"] = typed
    theirs.drafts["note_text"] = "A colleague's note."
    assert theirs.perform(Action.NOTE).ok

    refused = mine.perform(Action.NOTE)
    assert (refused.ok, refused.stale) == (False, True)
    assert refused.message == StaleEdit(number, 1, 2).message("en")
    assert mine.drafts["note_text"] == typed  # nothing typed is lost

    assert mine.load() is None
    assert mine.drafts["note_text"] == typed
    sent = mine.perform(Action.NOTE)
    assert sent.ok, sent.message
    assert "note_text" not in mine.drafts
    assert [note.text for note in mine.case.notes] == ["A colleague's note.", typed]


def test_a_transition_not_allowed_is_refused_in_words_and_keeps_the_message(tab, device):
    number = new_complaint(device)
    editor = complaints.ComplaintEditor(tab("supervisor"), number)
    editor.load()
    editor.drafts["resolve_message"] = "Paid again on 5 August."
    assert editor.perform(Action.RESOLVE).ok
    editor.drafts["resolve_message"] = "A second answer."
    refused = editor.perform(Action.RESOLVE)
    assert not refused.ok and not refused.stale
    assert refused.message == TransitionNotAllowed(number, "resolve", "resolved").message("en")
    assert editor.drafts["resolve_message"] == "A second answer."


def test_a_role_without_the_right_is_told_so_and_nothing_changes(tab, device):
    number = new_complaint(device)
    editor = complaints.ComplaintEditor(tab("verifier"), number)
    editor.load()
    assert Action.ASSIGN not in editor.case.actions  # the screen does not offer it
    editor.drafts["assignee"] = "anyone"
    refused = editor.perform(Action.ASSIGN)
    assert not refused.ok
    assert refused.message == PermissionDenied("verifier", "assign").message("en")
    assert editor.case.row.version == 1


def test_resolving_reaches_the_complainants_device_with_the_message(tab, device):
    number = new_complaint(device)
    editor = complaints.ComplaintEditor(tab("officer"), number)
    editor.load()
    editor.drafts.update(category="late_disbursement", severity="normal")
    assert editor.perform(Action.CLASSIFY).ok
    editor.drafts["resolve_message"] = "Dana sudah ditransfer ulang."
    assert editor.perform(Action.RESOLVE).ok
    last = [c for c in status_changes(device) if c.data["register_number"] == number][-1]
    assert (last.data["state"], last.data["note"]) == ("resolved", "Dana sudah ditransfer ulang.")


def test_the_case_shows_the_complainants_numbers_masked_to_an_officer(tab, device):
    number = new_complaint(device, description="Rekening 0123456789 belum menerima dana.")
    officer = complaints.ComplaintEditor(tab("officer"), number)
    officer.load()
    assert officer.case.description == "Rekening ******6789 belum menerima dana."
    assert officer.case.complainant_nik == "3174********0002"
    history = complaints.history_lines(officer.ctx, officer.case)
    assert history and "received from the device" in history[0]


def test_queue_lines_read_in_the_tabs_language(tab, device, area):
    new_complaint(device)
    line = queue_for(tab("officer", lang="id"), area).lines[0]
    assert line.state == text("console.state.synced", "id")
    assert line.handler == text("console.queue.unassigned", "id")


def test_escalation_sweep_moves_the_version_so_an_open_screen_sees_the_change(tab, device):
    number = new_complaint(device)
    ctx = tab("supervisor")
    editor = complaints.ComplaintEditor(ctx, number)
    editor.load()
    assert cases.escalate_overdue(ctx.db, now=utc_now() + timedelta(seconds=1)) >= 1
    editor.drafts["note_text"] = "Checking."
    assert editor.perform(Action.NOTE).stale


def test_the_queue_exports_as_csv_with_codes_and_iso_times(tab, device, area):
    number = new_complaint(device)
    supervisor = tab("supervisor")
    screen = queue_for(supervisor, area)
    name, content = complaints.queue_csv(supervisor, screen)
    assert name.startswith("lengkap-complaints-") and name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == list(complaints.QUEUE_COLUMNS)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["register_number"], row["overdue"], row["state"]) == (number, "True", "synced")
    assert row["area"] == area.replace(".", "")
    assert datetime.fromisoformat(row["due_at"]) == screen.rows[0].due_at
