"""Submission review by role: the checklist beside the photos, the roster check, the decision."""

from __future__ import annotations

import pytest

from sync.server.errors import PermissionDenied, StaffError, StaleEdit, TransitionNotAllowed
from sync.server.roster import publish_roster
from sync.server.staff import review
from sync.server.staff.review import ReviewFilters
from sync.server.staff.roles import Role
from sync.server.storage import utc_now
from tests.server.records import submission_record
from tests.staff.helpers import push, status_changes, student_nik, trail_size, upload_photo
from tests.support.images import document_photo
from tests.support.requests import FAMILY_KK

ACCOUNT = {"bank": "Bank DKI", "account": "0123456789"}


def _submit(device, nik, *, photos=None, shown=("kk",), **body):
    applicant = {"nik": nik, "name": "Siti Rahmawati", "kk": FAMILY_KK}
    record = submission_record(
        device.device_code, shown=shown, photos=photos, applicant=applicant, **body
    )
    return push(device, record)[0]


def _roster(db, tmp_path, nik, name, account):
    path = tmp_path / "roster.csv"
    path.write_text(
        f"nik,nama,kode_wilayah,bank,rekening\n{nik},{name},317401,Bank DKI,{account}\n",
        encoding="utf-8",
    )
    report = publish_roster(db, path, "kjp-plus", now=utc_now())
    assert report.published == 1, report.to_dict()


def test_the_reviewer_sees_photos_beside_the_checklist_and_every_roster_mismatch(
    db, device, staff, tmp_path
):
    nik = student_nik()
    _roster(db, tmp_path, nik, "Dewi Lestari", "0987654321")
    photo = document_photo(seed=5)  # a real JPEG: the server reads a photo's header
    sha = upload_photo(device, photo)
    number = _submit(
        device, nik, photos={"kk": photo}, shown=("kk", "ktp_wali"), bank_account=ACCOUNT
    )
    seen = review.submission_detail(db, number, viewer=staff(Role.OFFICER))
    assert [(p.document, p.sha256) for p in seen.photos] == [("kk", sha)]
    assert {line.document: line.satisfied for line in seen.checklist}["kk"] is True
    assert any(not line.satisfied for line in seen.checklist)  # stage 2 needs more than these
    assert all(line.why.get("id") for line in seen.checklist)
    codes = {m.field: m.code for m in seen.mismatches}
    assert codes["bank_account.account"] == "account_differs"
    assert codes["applicant.name"] in {"name_differs", "name_review"}
    account = next(m for m in seen.mismatches if m.code == "account_differs")
    assert (account.submitted, account.registered) == ("******6789", "******4321")
    assert seen.applicant_nik == nik[:4] + "********" + nik[-4:]
    assert seen.row.mismatch is True
    as_verifier = review.submission_detail(db, number, viewer=staff(Role.VERIFIER))
    assert as_verifier.applicant_nik == nik
    assert as_verifier.account == "0123456789"
    assert set(as_verifier.actions) == {"approve", "reject", "request_documents"}


def test_a_person_missing_from_the_roster_is_shown_as_not_registered(db, device, area):
    number = _submit(device, student_nik())
    seen = review.submission_detail(db, number)
    assert [m.code for m in seen.mismatches] == ["not_registered"]
    [row] = review.review_queue(
        db, now=utc_now(), filters=ReviewFilters(area_prefix=area, mismatch_only=True)
    )
    assert row.register_number == number


def test_approval_then_disbursement_reach_the_device(db, device, staff):
    number = _submit(device, student_nik())
    verifier, supervisor = staff(Role.VERIFIER), staff(Role.SUPERVISOR)
    version = review.approve(db, verifier, number, version=1, now=utc_now())
    with pytest.raises(PermissionDenied):
        review.set_disbursement(
            db, verifier, number, version=version, now=utc_now(), status="disbursed"
        )
    version = review.set_disbursement(
        db, supervisor, number, version=version, now=utc_now(), status="scheduled"
    )
    review.set_disbursement(
        db, supervisor, number, version=version, now=utc_now(), status="disbursed"
    )
    assert [c.data["state"] for c in status_changes(device)] == [
        "verified",
        "verified",
        "disbursed",
    ]
    notes = [c.data["note"] for c in status_changes(device)]
    assert "dijadwalkan" in notes[1] and "dicairkan" in notes[2]
    # The same generated notes in English, for a kiosk the person switched to English.
    assert [c.data["note_en"] for c in status_changes(device)] == [
        "Your documents and data have been verified.",
        "Your disbursement has been scheduled.",
        "The money has been paid into your account.",
    ]
    assert status_changes(device)[0].data["note"] == "Dokumen dan data Anda sudah diverifikasi."
    final = review.submission_detail(db, number)
    assert (final.state, final.disbursement, final.actions) == ("disbursed", "disbursed", ())


def test_a_rejection_tells_the_person_why_and_a_paid_submission_cannot_be_rejected(
    db, device, staff
):
    number = _submit(device, student_nik())
    verifier, supervisor = staff(Role.VERIFIER), staff(Role.SUPERVISOR)
    reason = "Fotokopi KK tidak terbaca; bawa KK asli ke kantor kelurahan."
    review.reject(db, verifier, number, version=1, now=utc_now(), reason=reason)
    assert [(c.data["state"], c.data["note"]) for c in status_changes(device)] == [
        ("rejected", reason)
    ]
    # Typed by a staff member: one language, so no English version is made up.
    assert "note_en" not in status_changes(device)[0].data
    paid = _submit(device, student_nik())
    version = review.approve(db, verifier, paid, version=1, now=utc_now())
    version = review.set_disbursement(
        db, supervisor, paid, version=version, now=utc_now(), status="disbursed"
    )
    trail = trail_size(db)
    with pytest.raises(TransitionNotAllowed) as refused:
        review.reject(db, supervisor, paid, version=version, now=utc_now(), reason="salah")
    assert "sudah dicairkan" in refused.value.message("id")
    assert trail_size(db) == trail


def test_requested_documents_are_named_for_the_person_and_the_case_stays_open(
    db, device, staff, area
):
    number = _submit(device, student_nik())
    verifier = staff(Role.VERIFIER)
    with pytest.raises(StaffError) as unknown:
        review.request_documents(
            db, verifier, number, version=1, now=utc_now(), documents=["paspor"]
        )
    assert unknown.value.code == "unknown_document"
    review.request_documents(
        db, verifier, number, version=1, now=utc_now(), documents=["ktp_wali", "sptjm"]
    )
    [change] = status_changes(device)
    assert change.data["state"] == "synced"
    assert change.data["note"].startswith("Mohon lengkapi dokumen berikut:")
    [row] = review.review_queue(db, now=utc_now(), filters=ReviewFilters(area_prefix=area))
    assert (row.state, row.review, row.version) == ("synced", "documents_requested", 2)


def test_an_officer_cannot_decide_and_two_reviewers_cannot_both_decide(db, device, staff):
    number = _submit(device, student_nik())
    with pytest.raises(PermissionDenied):
        review.approve(db, staff(Role.OFFICER), number, version=1, now=utc_now())
    first, second = staff(Role.VERIFIER), staff(Role.SUPERVISOR)
    review.approve(db, first, number, version=1, now=utc_now())
    with pytest.raises(StaleEdit):
        review.reject(db, second, number, version=1, now=utc_now(), reason="Data tidak cocok.")
    assert review.submission_detail(db, number).state == "verified"


def test_requested_documents_are_named_in_each_language_with_the_typed_note_as_written(
    db, device, staff
):
    number = _submit(device, student_nik())
    typed = "Bawa juga aslinya."
    review.request_documents(
        db,
        staff(Role.VERIFIER),
        number,
        version=1,
        now=utc_now(),
        documents=["ktp_wali", "sptjm"],
        note=typed,
    )
    [change] = status_changes(device)
    assert change.data["note"] == (
        "Mohon lengkapi dokumen berikut: Fotokopi KTP orang tua/wali,"
        " SPTJM (Surat Pernyataan Tanggung Jawab Mutlak). " + typed
    )
    assert change.data["note_en"] == (
        "Please bring these documents: Copy of the parent's or guardian's KTP (ID card),"
        " SPTJM (statement of absolute responsibility). " + typed
    )
