"""Recording a submission: validated field by field, checked against the rules, saved with its outbox row."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.errors import ImageError, InputError, KioskError
from kiosk.services.submissions import record_submission
from tests.support.images import document_photo
from tests.support.requests import kjp_request

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 8, 3, 10, 0, tzinfo=WIB)


def _record(kiosk, request, **kwargs):
    return record_submission(kiosk, request, source="sub.json", clock=lambda: NOW, **kwargs)


def _counts(kiosk):
    return tuple(
        kiosk.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("submissions", "outbox", "attachments")
    )


def test_an_incomplete_submission_is_saved_queued_and_says_what_is_missing(kiosk):
    outcome = _record(kiosk, kjp_request())
    assert outcome.submission.state == "queued"
    assert outcome.submission.completeness == "incomplete"
    missing = {item.document for item in outcome.checklist.missing}
    assert "sptjm" in missing and "kk" not in missing
    assert set(outcome.submission.missing_documents) == missing
    assert _counts(kiosk) == (1, 1, 0)


def test_a_submission_with_every_document_is_complete(kiosk):
    first = _record(kiosk, kjp_request())
    have = [{"type": d} for d in ["kk", *first.submission.missing_documents]]
    outcome = _record(kiosk, kjp_request(documents=have))
    assert outcome.checklist.is_complete
    assert outcome.submission.completeness == "complete"


def test_photos_are_stored_once_and_referenced_by_hash(kiosk, tmp_path):
    (tmp_path / "kk.jpg").write_bytes(document_photo())
    request = kjp_request(documents=[{"type": "kk", "photo": "kk.jpg"}])
    first = _record(kiosk, request, base_dir=tmp_path)
    second = _record(kiosk, request, base_dir=tmp_path)
    sha = first.submission.documents[0].photo_sha256
    assert sha and sha == second.submission.documents[0].photo_sha256
    assert _counts(kiosk) == (2, 2, 1)
    body = json.loads(kiosk.db.execute("SELECT body FROM outbox LIMIT 1").fetchone()[0])
    assert body["documents"] == [{"document": "kk", "photo_sha256": sha}]


def test_the_same_client_id_is_not_saved_twice(kiosk):
    _record(kiosk, kjp_request(client_id="fixed-id"))
    with pytest.raises(InputError) as caught:
        _record(kiosk, kjp_request(client_id="fixed-id"))
    assert caught.value.where == "sub.json: client_id"
    assert _counts(kiosk) == (1, 1, 0)


@pytest.mark.parametrize(
    ("change", "where", "code"),
    [
        (
            {"applicant": {"nik": "31740114050900", "name": "Siti"}},
            "sub.json: applicant.nik",
            "nik.wrong_length",
        ),
        (
            {"applicant": {"nik": "3174013205090003", "name": "Siti"}},
            "sub.json: applicant.nik",
            "nik.day_out_of_range",
        ),
        (
            {"applicant": {"nik": "3174011405090003"}},
            "sub.json: applicant.name",
            "submission.required",
        ),
        (
            {"applicant": {"nik": "3174011405090003", "name": "S", "kk": "3174013213150004"}},
            "sub.json: applicant.kk",
            None,
        ),
        ({"stage": "two"}, "sub.json: stage", "submission.expected_number"),
        ({"colour": "red"}, "sub.json: colour", "submission.unknown_field"),
        (
            {"documents": [{"type": "kk", "scan": "x"}]},
            "sub.json: documents[0].scan",
            "submission.unknown_field",
        ),
        (
            {"bank_account": {"bank": "BRI", "account": "1234"}},
            "sub.json: bank_account.account",
            None,
        ),
        ({"facts": {"level": "sma"}}, "sub.json: facts", "submission.missing_facts"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(kiosk, change, where, code):
    with pytest.raises(InputError) as caught:
        _record(kiosk, kjp_request(**change))
    assert caught.value.where == where
    if code:
        assert caught.value.code == code
    assert _counts(kiosk) == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "where"), [({"program": "bansos-x"}, "program"), ({"stage": 7}, "stage")]
)
def test_an_unknown_program_or_stage_is_refused_naming_it(kiosk, change, where):
    with pytest.raises(KioskError) as caught:
        _record(kiosk, kjp_request(**change))
    assert caught.value.where == f"sub.json: {where}"
    assert _counts(kiosk) == (0, 0, 0)


def test_a_broken_photo_names_the_document_and_saves_nothing(kiosk, tmp_path):
    (tmp_path / "kk.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    request = kjp_request(documents=[{"type": "kk", "photo": "kk.jpg"}])
    with pytest.raises(ImageError) as caught:
        _record(kiosk, request, base_dir=tmp_path)
    assert "documents[0].photo" in caught.value.where
    assert _counts(kiosk) == (0, 0, 0)


def test_a_missing_photo_file_is_named(kiosk, tmp_path):
    request = kjp_request(documents=[{"type": "kk", "photo": "nowhere.jpg"}])
    with pytest.raises(InputError) as caught:
        _record(kiosk, request, base_dir=tmp_path)
    assert caught.value.code == "submission.photo_unreadable"
    assert _counts(kiosk) == (0, 0, 0)


def test_warnings_inform_without_blocking(kiosk):
    # Born on the 1st of July: a default date that must not be trusted to tell people apart.
    request = kjp_request(applicant={"nik": "3174010107090003", "name": "Budi"})
    outcome = _record(kiosk, request)
    assert any(w.code.startswith("nik.") for w in outcome.warnings)
    assert _counts(kiosk) == (1, 1, 0)


def _photo_files(kiosk):
    return sorted(p.name for p in (kiosk.data_dir / "attachments").glob("*/*"))


def test_a_good_photo_beside_a_broken_one_is_not_left_on_disk(kiosk, tmp_path):
    (tmp_path / "kk.jpg").write_bytes(document_photo())
    (tmp_path / "ktp.jpg").write_bytes(document_photo()[:400])
    request = kjp_request(
        documents=[{"type": "kk", "photo": "kk.jpg"}, {"type": "ktp_wali", "photo": "ktp.jpg"}]
    )
    with pytest.raises(ImageError) as caught:
        _record(kiosk, request, base_dir=tmp_path)
    assert "documents[1].photo" in caught.value.where
    assert _counts(kiosk) == (0, 0, 0)
    assert _photo_files(kiosk) == []


def test_photos_written_for_a_submission_that_is_then_refused_are_removed(kiosk, tmp_path):
    _record(kiosk, kjp_request(client_id="fixed-id"))
    (tmp_path / "kk.jpg").write_bytes(document_photo())
    request = kjp_request(client_id="fixed-id", documents=[{"type": "kk", "photo": "kk.jpg"}])
    with pytest.raises(InputError, match="client_id"):
        _record(kiosk, request, base_dir=tmp_path)
    assert _counts(kiosk) == (1, 1, 0)
    assert _photo_files(kiosk) == []


def test_a_photo_another_submission_already_uses_stays_when_a_later_one_is_refused(kiosk, tmp_path):
    (tmp_path / "kk.jpg").write_bytes(document_photo())
    documents = [{"type": "kk", "photo": "kk.jpg"}]
    _record(kiosk, kjp_request(client_id="fixed-id", documents=documents), base_dir=tmp_path)
    kept = _photo_files(kiosk)
    with pytest.raises(InputError):
        _record(kiosk, kjp_request(client_id="fixed-id", documents=documents), base_dir=tmp_path)
    assert _photo_files(kiosk) == kept and len(kept) == 1


@pytest.mark.parametrize("typed", ["2009-02-30", "14-05-2009", "20090514", "2009-5-14", "kemarin"])
def test_a_birth_date_that_is_not_a_real_yyyy_mm_dd_date_is_refused(kiosk, typed):
    request = kjp_request(
        applicant={"nik": "3174011405090003", "name": "Siti", "birth_date": typed}
    )
    with pytest.raises(InputError) as caught:
        _record(kiosk, request)
    assert caught.value.where == "sub.json: applicant.birth_date"
    assert caught.value.code == "submission.expected_date"
    assert _counts(kiosk) == (0, 0, 0)


def test_a_birth_date_other_than_the_nik_s_is_saved_with_a_warning(kiosk):
    request = kjp_request(
        applicant={"nik": "3174011405090003", "name": "Siti", "birth_date": "2009-05-15"}
    )
    outcome = _record(kiosk, request)
    differs = [w for w in outcome.warnings if w.code == "submission.birth_date_differs"]
    assert [(w.field, dict(w.params)) for w in differs] == [
        ("applicant.birth_date", {"nik_date": "14-05-2009"})
    ]
    assert outcome.submission.applicant.birth_date == "2009-05-15"


def test_the_nik_s_own_birth_date_gives_no_warning(kiosk):
    request = kjp_request(
        applicant={"nik": "3174011405090003", "name": "Siti", "birth_date": "2009-05-14"}
    )
    assert not [w for w in _record(kiosk, request).warnings if w.code.startswith("submission.")]


def test_an_account_that_cannot_be_checked_is_saved_with_the_reason(kiosk):
    request = kjp_request(bank_account={"bank": "Bank Antah Berantah", "account": "123"})
    outcome = _record(kiosk, request)
    assert "account.bank_unknown" in {w.code for w in outcome.warnings}
    assert _counts(kiosk) == (1, 1, 0)
