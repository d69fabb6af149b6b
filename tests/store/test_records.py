"""A record and its outbox row are written together or not at all; numbers never repeat."""

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from kiosk.domain.register_numbers import RegisterNumber, parse_register_number
from kiosk.domain.submissions import Applicant, Completeness, DocumentEvidence, Submission
from kiosk.store.codec import submission_from_record
from kiosk.store.records import (
    device_code,
    find_by_register_number,
    iter_records,
    next_register_number,
    save_submission,
)

FIRST = RegisterNumber("ABCDEF", 1)


def _submission(client_id="s-1", number=FIRST):
    return Submission(
        client_id=client_id,
        register_number=number,
        program="kjp-plus",
        stage=2,
        applicant=Applicant(nik="3174011405090003", name="Siti Rahmawati", kk="3174012001150004"),
        facts={"level": "sma", "private_school": False},
        documents=(DocumentEvidence("kk", "ab" * 32),),
        completeness=Completeness.INCOMPLETE,
        missing_documents=("sptjm",),
        created_at=datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
    ).queued()


def _count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_saved_submission_has_exactly_one_outbox_row_with_the_same_body(fresh_db):
    submission = _submission()
    save_submission(fresh_db, submission)
    body, kind = fresh_db.execute("SELECT body, kind FROM outbox").fetchone()
    stored = fresh_db.execute("SELECT body FROM submissions").fetchone()[0]
    assert kind == "submission"
    assert json.loads(body) == json.loads(stored)
    assert submission_from_record(json.loads(body), "queued") == submission


def test_when_the_outbox_write_fails_the_submission_is_not_saved_either(fresh_db):
    # An outbox row already holding this client id makes the second insert fail half-way.
    fresh_db.execute(
        "INSERT INTO outbox(kind, client_id, body, created_at) VALUES ('submission', 's-1', '{}', 'x')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        save_submission(fresh_db, _submission())
    assert _count(fresh_db, "submissions") == 0
    assert _count(fresh_db, "outbox") == 1


def test_when_the_submission_write_fails_no_outbox_row_is_left(fresh_db):
    save_submission(fresh_db, _submission())
    with pytest.raises(sqlite3.IntegrityError):
        save_submission(fresh_db, _submission(client_id="s-2"))  # same register number
    assert _count(fresh_db, "submissions") == 1
    assert _count(fresh_db, "outbox") == 1


def test_register_numbers_count_up_on_one_device_code(fresh_db):
    first, second = next_register_number(fresh_db), next_register_number(fresh_db)
    assert first.device_code == second.device_code == device_code(fresh_db)
    assert second.sequence == first.sequence + 1
    assert parse_register_number(str(second)) == second


def test_a_rolled_back_save_does_not_reuse_or_skip_silently_into_a_duplicate(fresh_db):
    with pytest.raises(RuntimeError), fresh_db.atomic():
        next_register_number(fresh_db)
        raise RuntimeError("power cut simulated by an exception")
    taken = {str(next_register_number(fresh_db)) for _ in range(3)}
    assert len(taken) == 3


def test_records_are_found_by_number_and_exported_with_their_state(fresh_db):
    save_submission(fresh_db, _submission())
    found = find_by_register_number(fresh_db, str(RegisterNumber("ABCDEF", 1)))
    assert found["kind"] == "submission" and found["state"] == "queued"
    exported = list(iter_records(fresh_db))
    assert [(r["register_number"], r["client_id"], r["state"]) for r in exported] == [
        (str(RegisterNumber("ABCDEF", 1)), "s-1", "queued")
    ]
    assert list(iter_records(fresh_db, since="2026-07-02")) == []
