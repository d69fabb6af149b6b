"""Outbox rows go pending -> sending -> sent, or aside to quarantine; stale answers change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.domain.register_numbers import RegisterNumber
from kiosk.domain.submissions import Applicant, Completeness, DocumentEvidence, Submission
from kiosk.store import outbox
from kiosk.store.records import save_submission

AT = "2026-08-03T03:00:00+00:00"
LATER = "2026-08-03T04:00:00+00:00"
PHOTO = "ab" * 32


def _save(db, n: int, photo: str | None = None) -> None:
    save_submission(
        db,
        Submission(
            client_id=f"s-{n}",
            register_number=RegisterNumber("ABCDEF", n),
            program="kjp-plus",
            stage=2,
            applicant=Applicant(nik="3174011405090003", name="Siti Rahmawati"),
            facts={"level": "sma"},
            documents=(DocumentEvidence("kk", photo), DocumentEvidence("akta", photo)),
            completeness=Completeness.INCOMPLETE,
            missing_documents=("sptjm",),
            created_at=datetime(2026, 8, 1, 8, 0, tzinfo=UTC),
        ).queued(),
    )


def _state(db, n: int) -> tuple[str, str]:
    row = db.execute(
        "SELECT o.state, s.state FROM outbox o JOIN submissions s USING (client_id)"
        " WHERE client_id = ?",
        [f"s-{n}"],
    ).fetchone()
    return row[0], row[1]


def test_a_saved_record_waits_as_pending_with_no_attempts(fresh_db):
    _save(fresh_db, 1, PHOTO)
    (row,) = outbox.due_rows(fresh_db)
    assert (row.state, row.attempts, row.next_attempt_at, row.last_error) == (
        "pending",
        0,
        None,
        None,
    )
    assert row.attachments == (PHOTO,)  # referred to twice, uploaded once
    assert row.register_number == "ABCDEF-000001-" + row.register_number[-1]
    assert "3174011405090003" not in repr(row)


def test_a_claimed_row_is_sending_and_a_matching_answer_marks_it_sent_and_synced(fresh_db):
    _save(fresh_db, 1)
    (claimed,) = outbox.claim(fresh_db, [1], AT)
    assert _state(fresh_db, 1) == ("sending", "queued")
    assert outbox.mark_sent(fresh_db, claimed.seq, claimed.fingerprint, AT)
    assert _state(fresh_db, 1) == ("sent", "synced")
    assert outbox.counts(fresh_db) == {"pending": 0, "sending": 0, "sent": 1, "quarantined": 0}


def test_an_answer_about_a_version_edited_meanwhile_does_not_mark_it_sent(fresh_db):
    _save(fresh_db, 1)
    (claimed,) = outbox.claim(fresh_db, [1], AT)
    edited = {**claimed.body, "facts": {"level": "smk"}}
    assert outbox.replace_body(fresh_db, "submission", "s-1", edited, LATER)
    assert not outbox.mark_sent(fresh_db, claimed.seq, claimed.fingerprint, LATER)
    assert _state(fresh_db, 1) == ("pending", "queued")
    # Even when the new version is in flight already, the old answer does not count for it.
    (again,) = outbox.claim(fresh_db, [1], LATER)
    assert again.fingerprint != claimed.fingerprint
    assert not outbox.mark_sent(fresh_db, claimed.seq, claimed.fingerprint, LATER)
    assert not outbox.quarantine(
        fresh_db,
        claimed.seq,
        code="conflict",
        message=None,
        at=LATER,
        fingerprint=claimed.fingerprint,
    )
    assert outbox.mark_sent(fresh_db, again.seq, again.fingerprint, LATER)


def test_a_quarantined_row_does_not_block_the_rows_behind_it(fresh_db):
    for n in (1, 2, 3):
        _save(fresh_db, n)
    message = {"id": "NIK tidak valid.", "en": "The NIK is not valid."}
    assert outbox.quarantine(fresh_db, 1, code="invalid_record", message=message, at=AT)
    assert [row.client_id for row in outbox.due_rows(fresh_db)] == ["s-2", "s-3"]
    (quarantined,) = outbox.quarantined_rows(fresh_db)
    assert (quarantined.error_code, quarantined.last_error, quarantined.attempts) == (
        "invalid_record",
        message,
        1,
    )


def test_a_rejected_submission_says_so_in_its_own_state_and_note(fresh_db):
    _save(fresh_db, 1)
    (claimed,) = outbox.claim(fresh_db, [1], AT)
    message = {"id": "NIK tidak valid.", "en": "The NIK is not valid."}
    outbox.quarantine(
        fresh_db,
        claimed.seq,
        code="invalid_record",
        message=message,
        at=AT,
        fingerprint=claimed.fingerprint,
        reject_record=True,
    )
    assert _state(fresh_db, 1) == ("quarantined", "rejected")
    notes = fresh_db.execute("SELECT status_note, status_note_en FROM submissions").fetchone()
    assert tuple(notes) == ("NIK tidak valid.", "The NIK is not valid.")


def test_a_retry_counts_the_attempt_and_waits_for_its_time(fresh_db):
    _save(fresh_db, 1)
    outbox.claim(fresh_db, [1], AT)
    outbox.retry_later(fresh_db, [1], code="overloaded", message=None, at=AT, next_attempt_at=LATER)
    (row,) = outbox.due_rows(fresh_db)
    assert (row.state, row.attempts, row.error_code) == ("pending", 1, "overloaded")
    assert outbox.due_rows(fresh_db, now=AT) == []
    assert outbox.count_due(fresh_db, AT) == 0
    assert [r.seq for r in outbox.due_rows(fresh_db, now=LATER)] == [1]


def test_rows_left_sending_by_a_dead_process_go_back_to_the_queue(fresh_db):
    _save(fresh_db, 1)
    _save(fresh_db, 2)
    outbox.claim(fresh_db, [1, 2], AT)
    assert outbox.due_rows(fresh_db) == []
    assert outbox.recover_interrupted(fresh_db) == 2
    assert [row.seq for row in outbox.due_rows(fresh_db)] == [1, 2]


def test_being_sent_does_not_undo_a_state_the_server_already_gave(fresh_db):
    _save(fresh_db, 1)
    (claimed,) = outbox.claim(fresh_db, [1], AT)
    fresh_db.execute("UPDATE submissions SET state = 'verified'")
    assert outbox.mark_sent(fresh_db, claimed.seq, claimed.fingerprint, AT)
    assert _state(fresh_db, 1) == ("sent", "verified")


def test_claiming_skips_rows_that_are_no_longer_pending(fresh_db):
    _save(fresh_db, 1)
    _save(fresh_db, 2)
    outbox.quarantine(fresh_db, 1, code="conflict", message=None, at=AT)
    assert [row.seq for row in outbox.claim(fresh_db, [1, 2], AT)] == [2]
    assert outbox.claim(fresh_db, [2], AT) == []
