"""Submission review, sign-in, users and navigation without a browser."""

from __future__ import annotations

from datetime import timedelta

from kiosk.domain.credentials import LOCKOUT_RULE
from sync.server.console.models import review, users
from sync.server.console.models.navigation import Route, home_route, parse_route, screens_for
from sync.server.console.models.signin import attempt
from sync.server.staff.accounts import disable_user
from sync.server.storage import utc_now
from tests.console.conftest import PASSWORD, code_for
from tests.staff.helpers import new_submission, status_changes, student_nik, upload_photo
from tests.support.images import document_photo

ACCOUNT = {"bank": "Bank DKI", "account": "0123456789"}


def test_the_reviewer_sees_each_photo_beside_its_checklist_line_and_the_mismatches(tab, device):
    photo = document_photo(seed=3)
    upload_photo(device, photo)
    nik = student_nik()
    number = new_submission(
        device,
        photos={"ktp_wali": photo},
        shown=("kk", "ktp_wali"),
        applicant={"nik": nik, "name": "Siti Rahmawati"},
        bank_account=ACCOUNT,
    )
    officer = review.SubmissionEditor(tab("officer"), number)
    assert officer.load() is None
    rows = {row.document: row for row in review.checklist_rows(officer.ctx, officer.case)}
    assert rows["ktp_wali"].photo == photo and rows["ktp_wali"].satisfied
    assert rows["kk"].photo is None and rows["kk"].satisfied
    assert any(not row.satisfied for row in rows.values())
    # Not on the roster, said in words; an officer sees the NIK masked, a verifier in full.
    mismatches = review.mismatch_lines(officer.ctx, officer.case)
    assert mismatches == [
        f"Not registered: this NIK is not on the program's roster. "
        f"(submitted: {nik[:4]}********{nik[-4:]} · on the roster: —)"
    ]
    assert officer.case.account == "******6789"
    assert officer.case.actions == ()  # an officer may look, not decide
    verifier = review.SubmissionEditor(tab("verifier"), number)
    verifier.load()
    assert nik in review.mismatch_lines(verifier.ctx, verifier.case)[0]
    assert set(verifier.case.actions) == {"approve", "reject", "request_documents"}


def test_approval_and_a_requested_document_reach_the_device(tab, device):
    number = new_submission(device)
    asking = review.SubmissionEditor(tab("verifier"), number)
    asking.load()
    asking.drafts.update(documents="ktp_wali,kartu_pelajar", request_note="")
    asked = asking.perform("request_documents")
    assert asked.ok, asked.message
    asking.drafts["approve_note"] = "Lengkap."
    assert asking.perform("approve").ok
    assert asking.case.state == "verified"
    states = [
        c.data["state"] for c in status_changes(device) if c.data["register_number"] == number
    ]
    assert states[-1] == "verified"


def test_a_review_queue_filter_names_the_field(tab):
    ctx = tab("verifier")
    screen = review.ReviewScreen(form={"stage": "dua"})
    review.load_queue(ctx, screen)
    assert screen.error_field == "stage" and "dua" in screen.error


def test_sign_in_says_wrong_then_the_lock_then_refuses_a_disabled_account(tab):
    staff = tab("officer")
    name = staff.user.name
    fresh = tab("officer")
    fresh.user = None
    wrong = (False, "Wrong name, password or code.")
    for _ in range(LOCKOUT_RULE.max_misses - 1):
        assert attempt(fresh, name, "wrong-password") == wrong
    locked = (False, "Too many wrong attempts for this name. Try again in 15 minutes.")
    assert attempt(fresh, name, "wrong-password") == locked
    assert attempt(fresh, name, PASSWORD) == locked
    assert fresh.user is None

    other = tab("verifier")
    disable_user(other.db, other.user.name, now=utc_now() - timedelta(seconds=1))
    other_name, other.user = other.user.name, None
    assert attempt(other, other_name, PASSWORD) == (
        False,
        "This account cannot sign in. Ask an admin.",
    )
    assert attempt(other, other_name, "wrong-password") == wrong


def test_an_unknown_name_reads_exactly_like_a_wrong_password_in_both_languages(tab):
    for lang in ("id", "en"):
        screen = tab("officer", lang=lang)
        name, stranger, screen.user = screen.user.name, screen.user.name + "-nobody", None
        said = []
        for _ in range(LOCKOUT_RULE.max_misses + 1):
            unknown = attempt(screen, stranger, PASSWORD)
            wrong = attempt(screen, name, "wrong-password")
            assert unknown == wrong
            said.append(wrong[1])
        first_misses = said[: LOCKOUT_RULE.max_misses - 1]
        assert first_misses == [screen.t("console.signin.wrong")] * len(first_misses)
        assert said[-2:] == [screen.t("console.signin.locked", minutes=15)] * 2


def test_sign_in_holds_the_staff_member_in_the_tab(tab):
    staff = tab("supervisor")
    name, staff.user = staff.user.name, None
    assert attempt(staff, f"  {name} ", PASSWORD, code_for(name)) == (True, "")
    assert staff.user.name == name


def test_each_role_sees_only_its_screens():
    routes = {role: [s.route for s in screens_for(role)] for role in ("officer", "verifier",
              "technical", "supervisor", "admin")}  # fmt: skip
    assert routes == {
        "officer": ["/complaints", "/review"],
        "verifier": ["/complaints", "/review"],
        "technical": ["/complaints"],
        "supervisor": ["/complaints", "/review", "/monitoring"],
        "admin": ["/monitoring", "/users"],
    }
    assert home_route("admin") == "/monitoring"
    assert parse_route("/complaints/7KQ2ZB-000123-M") == Route("/complaints", "7KQ2ZB-000123-M")
    assert parse_route("/") == Route("/signin")


def test_admin_adds_and_disables_users_and_cannot_disable_themselves(tab):
    admin = tab("admin")
    assert users.add(admin, "Dewi", "verifier", "sandi-dewi-2026", "sandi-lain-2026") == (
        False,
        "The two passwords differ.",
    )
    assert users.add(admin, "Dewi", "", "sandi-dewi-2026", "sandi-dewi-2026")[0] is False
    short = users.add(admin, "Dewi", "verifier", "pendek", "pendek")
    assert short == (False, "The password is too short: at least 10 characters.")
    name = f"Dewi {utc_now().timestamp()}"
    assert users.add(admin, name, "verifier", "sandi-dewi-2026", "sandi-dewi-2026") == (
        True,
        f"User {name} added.",
    )
    assert users.disable(admin, admin.user.name) == (False, "You cannot disable your own account.")
    assert users.disable(admin, name) == (True, f"User {name} disabled.")
    line = next(line for line in users.user_lines(admin) if line.name == name)
    assert (line.role, line.status, line.disabled) == ("Verification team", "disabled", True)
    supervisor = tab("supervisor")
    assert users.add(supervisor, "Eko", "officer", "sandi-eko-2026", "sandi-eko-2026") == (
        False,
        "Your role may not manage users.",
    )
