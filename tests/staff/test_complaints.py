"""Complaint handling by role: queue, classify, assign, refer, resolve, reopen, escalate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sync.server.errors import PermissionDenied, StaffError, StaleEdit, TransitionNotAllowed
from sync.server.staff import cases
from sync.server.staff.cases import QueueFilters
from sync.server.staff.roles import Role
from sync.server.storage import audit, records, staff_users, utc_now
from tests.staff.helpers import new_complaint, status_changes, trail_size
from tests.support.requests import MOTHER_NIK


def _detail(db, number, viewer=None):
    return cases.complaint_detail(db, number, now=utc_now(), viewer=viewer)


def test_the_queue_puts_the_nearest_deadline_first(db, device, area, staff):
    field_check = new_complaint(device, category="eligible_not_registered")  # 60 days
    information = new_complaint(device, category="no_information")  # 5 days
    untouched = new_complaint(device, category="eligible_not_registered")
    officer = staff(Role.OFFICER)
    for number in (field_check, information):
        detail = _detail(db, number)
        cases.add_note(db, officer, number, version=1, now=utc_now(), text="Dicek.")
        assert detail.row.due_at == detail.row.first_response_due  # unanswered: 3 days
    queue = cases.complaint_queue(db, now=utc_now(), filters=QueueFilters(area_prefix=area))
    # Unanswered, the first response (3 days) comes first; answered, the resolution date counts.
    assert [row.register_number for row in queue] == [untouched, information, field_check]
    assert [row.due_at for row in queue] == sorted(row.due_at for row in queue)
    assert queue[1].due_at == queue[1].resolution_due
    assert all(row.overdue for row in queue)  # filed in 2025: long past every deadline


def test_classifying_sets_the_deadline_and_tells_the_complainant_it_is_in_progress(
    db, device, staff
):
    number = new_complaint(device)
    officer = staff(Role.OFFICER)
    before = _detail(db, number)
    version = cases.classify(
        db,
        officer,
        number,
        version=before.row.version,
        now=utc_now(),
        category="wrong_data",
        severity="high",
    )
    after = _detail(db, number)
    assert version == after.row.version == before.row.version + 1
    assert (after.row.category, after.row.severity, after.row.state) == (
        "wrong_data",
        "high",
        "in_progress",
    )
    # wrong_data is a dispute: 14 days from filing instead of late disbursement's 5.
    assert after.row.resolution_due - before.row.resolution_due == timedelta(days=9)
    [change] = status_changes(device)
    assert change.data["state"] == "in_progress"
    assert change.data["register_number"] == number
    assert change.data["note"] == "Pengaduan Anda sedang ditangani petugas."
    assert change.data["note_en"] == "Your complaint is being handled."


def test_a_verifier_cannot_do_a_supervisors_action_and_nothing_changes(db, device, staff):
    number = new_complaint(device)
    verifier, officer = staff(Role.VERIFIER), staff(Role.OFFICER)
    trail = trail_size(db)
    with pytest.raises(PermissionDenied) as refused:
        cases.assign(db, verifier, number, version=1, now=utc_now(), assignee=officer.name)
    assert refused.value.code == "permission_denied"
    assert "tim verifikasi" in refused.value.message("id")
    assert "(verification team) may not assign" in refused.value.message("en")
    with pytest.raises(PermissionDenied):
        cases.reopen(db, verifier, number, version=1, now=utc_now(), reason="x")
    assert trail_size(db) == trail
    assert _detail(db, number).row.assignee is None


def test_a_supervisor_assigns_and_the_queue_filters_by_assignee(db, device, staff, area):
    number = new_complaint(device)
    supervisor, officer = staff(Role.SUPERVISOR), staff(Role.OFFICER)
    cases.assign(db, supervisor, number, version=1, now=utc_now(), assignee=officer.name)
    mine = cases.complaint_queue(
        db, now=utc_now(), filters=QueueFilters(assignee=officer.name, area_prefix=area)
    )
    assert [(row.register_number, row.assignee) for row in mine] == [(number, officer.name)]
    with pytest.raises(StaffError) as unknown:
        cases.assign(db, supervisor, number, version=2, now=utc_now(), assignee="Nobody Here")
    assert unknown.value.code == "assignee_not_found"


def test_two_staff_editing_one_case_get_a_conflict_not_a_silent_overwrite(db, device, staff):
    number = new_complaint(device)
    first, second = staff(Role.OFFICER), staff(Role.VERIFIER)
    read_by_both = _detail(db, number).row.version
    cases.classify(
        db,
        first,
        number,
        version=read_by_both,
        now=utc_now(),
        category="wrong_data",
        severity="high",
    )
    trail = trail_size(db)
    with pytest.raises(StaleEdit) as stale:
        cases.classify(
            db,
            second,
            number,
            version=read_by_both,
            now=utc_now(),
            category="other",
            severity="low",
        )
    assert stale.value.code == "stale_edit"
    assert stale.value.current == read_by_both + 1
    assert "diubah orang lain" in stale.value.message("id")
    assert trail_size(db) == trail
    kept = _detail(db, number).row
    assert (kept.category, kept.severity) == ("wrong_data", "high")  # the first edit stands


def test_resolving_a_closed_complaint_is_refused_clearly_and_nothing_changes(db, device, staff):
    number = new_complaint(device)
    officer = staff(Role.OFFICER)
    version = cases.resolve(
        db, officer, number, version=1, now=utc_now(), message="Dana sudah ditransfer 3 Juli."
    )
    version = cases.close(db, officer, number, version=version, now=utc_now())
    with db.read() as connection:
        before = connection.execute(
            select(records.c.state, records.c.state_note, records.c.version).where(
                records.c.register_number == number
            )
        ).one()
    trail = trail_size(db)
    with pytest.raises(TransitionNotAllowed) as refused:
        cases.resolve(db, officer, number, version=version, now=utc_now(), message="lagi")
    assert refused.value.code == "transition_not_allowed"
    assert refused.value.state == "closed"
    assert f"Case {number} is closed: it cannot resolve" in refused.value.message("en")
    assert "ditutup" in refused.value.message("id")
    with db.read() as connection:
        after = connection.execute(
            select(records.c.state, records.c.state_note, records.c.version).where(
                records.c.register_number == number
            )
        ).one()
    assert after == before
    assert trail_size(db) == trail


def test_the_resolution_message_reaches_the_device_and_a_supervisor_can_reopen(db, device, staff):
    number = new_complaint(device)
    officer, supervisor = staff(Role.OFFICER), staff(Role.SUPERVISOR)
    message = "Dana tahap 2 sudah ditransfer pada 3 Juli; cek buku tabungan Anda."
    version = cases.resolve(db, officer, number, version=1, now=utc_now(), message=message)
    assert [(c.data["state"], c.data["note"]) for c in status_changes(device)] == [
        ("resolved", message)
    ]
    with pytest.raises(PermissionDenied):
        cases.reopen(db, officer, number, version=version, now=utc_now(), reason="Belum masuk")
    cases.reopen(db, supervisor, number, version=version, now=utc_now(), reason="Belum masuk")
    assert [c.data["state"] for c in status_changes(device)] == ["resolved", "reopened"]
    resolved, reopened = status_changes(device)
    assert "note_en" not in resolved.data  # the staff member's own words, in one language
    assert reopened.data["note_en"] == "Your complaint was reopened and is being handled again."
    detail = _detail(db, number, viewer=supervisor)
    assert detail.row.state == "reopened"
    assert [(n.kind, n.who) for n in detail.notes] == [
        ("message", officer.name),
        ("reason", supervisor.name),
    ]
    assert "resolve" in [a.value for a in detail.actions]


def test_referring_passes_the_case_to_a_team_and_tells_the_complainant_where(db, device, staff):
    number = new_complaint(device)
    technical = staff(Role.TECHNICAL)
    cases.refer(
        db,
        technical,
        number,
        version=1,
        now=utc_now(),
        to_team="bank",
        note="Rekening diblokir; minta bank membuka.",
    )
    detail = _detail(db, number)
    assert (detail.row.state, detail.row.team) == ("referred", "bank")
    [change] = status_changes(device)
    assert change.data["state"] == "referred" and "bank penyalur" in change.data["note"]
    assert change.data["note_en"] == "Your complaint was passed to the paying bank."
    with pytest.raises(StaffError) as bad:
        cases.refer(db, technical, number, version=2, now=utc_now(), to_team="mars", note="x")
    assert bad.value.code == "bad_team"


def test_every_action_is_in_the_audit_trail_with_who_when_and_what(db, device, staff):
    number = new_complaint(device)
    officer = staff(Role.OFFICER)
    when = utc_now()
    cases.classify(
        db, officer, number, version=1, now=when, category="card_or_account", severity="urgent"
    )
    cases.add_note(db, officer, number, version=2, now=when, text="Menelepon pelapor.")
    with db.read() as connection:
        rows = connection.execute(
            select(audit.c.action, audit.c.at, audit.c.detail, staff_users.c.name)
            .join(staff_users, staff_users.c.id == audit.c.staff_user_id)
            .join(records, records.c.client_id == audit.c.client_id)
            .where(records.c.register_number == number)
            .order_by(audit.c.id)
        ).all()
    assert [(r.action, r.name) for r in rows] == [
        ("classify", officer.name),
        ("note", officer.name),
    ]
    assert all(abs((r.at - when).total_seconds()) < 1 for r in rows)
    assert '"category":"card_or_account"' in rows[0].detail
    assert "Menelepon" not in rows[1].detail  # the note's text stays out of the trail
    history = _detail(db, number).history
    assert [(h.action, h.who) for h in history][-2:] == [
        ("classify", officer.name),
        ("note", officer.name),
    ]
    assert history[0].action == "push" and history[0].who is None


def test_overdue_complaints_escalate_to_a_supervisor_once(db, device, area):
    number = new_complaint(device)
    later = utc_now() + timedelta(days=4)  # past the 3-day first response
    assert cases.escalate_overdue(db, now=later) >= 1
    [row] = cases.complaint_queue(
        db, now=later, filters=QueueFilters(area_prefix=area, escalated_only=True)
    )
    assert (row.register_number, row.overdue, row.escalated, row.team) == (
        number,
        True,
        True,
        "supervisor",
    )
    assert row.version == 2  # whoever held the case sees that it changed
    cases.escalate_overdue(db, now=later)
    assert _detail(db, number).row.version == 2  # once


def test_the_complainants_nik_is_masked_unless_the_role_needs_it(db, device, staff):
    number = new_complaint(device, description=f"NIK saya {MOTHER_NIK}, dana belum masuk.")
    officer, verifier = staff(Role.OFFICER), staff(Role.VERIFIER)
    seen_by_officer = _detail(db, number, viewer=officer)
    assert MOTHER_NIK not in seen_by_officer.description
    assert seen_by_officer.complainant_nik == MOTHER_NIK[:4] + "*" * 8 + MOTHER_NIK[-4:]
    assert MOTHER_NIK[:4] + "********" + MOTHER_NIK[-4:] in seen_by_officer.description
    assert _detail(db, number, viewer=verifier).complainant_nik == MOTHER_NIK


def test_an_empty_message_or_an_unreadable_register_number_is_refused(db, device, staff):
    number = new_complaint(device)
    officer = staff(Role.OFFICER)
    with pytest.raises(StaffError) as empty:
        cases.resolve(db, officer, number, version=1, now=utc_now(), message="   ")
    assert (empty.value.code, empty.value.params["field"]) == ("text_required", "message")
    with pytest.raises(StaffError) as unreadable:
        cases.add_note(db, officer, "not-a-number", version=1, now=utc_now(), text="x")
    assert unreadable.value.code == "bad_register_number"
    with pytest.raises(StaffError) as missing:
        cases.complaint_detail(db, "7KQ2ZB-999999-" + "X", now=utc_now())
    assert missing.value.code in {"case_not_found", "bad_register_number"}


def test_two_staff_saving_at_the_same_moment_one_wins_and_the_other_is_told(db, device, staff):
    import threading

    number = new_complaint(device)
    first, second = staff(Role.OFFICER), staff(Role.OFFICER)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def save(who, category):
        start.wait()
        try:
            outcomes[who.name] = cases.classify(
                db, who, number, version=1, now=utc_now(), category=category, severity="high"
            )
        except StaleEdit as stale:
            outcomes[who.name] = stale

    threads = [
        threading.Thread(target=save, args=(first, "wrong_data")),
        threading.Thread(target=save, args=(second, "amount_reduced")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    won = [name for name, outcome in outcomes.items() if outcome == 2]
    lost = [outcome for outcome in outcomes.values() if isinstance(outcome, StaleEdit)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    kept = _detail(db, number)
    assert kept.row.version == 2
    assert kept.row.category == ("wrong_data" if won == [first.name] else "amount_reduced")
    assert [h.who for h in kept.history if h.action == "classify"] == won
