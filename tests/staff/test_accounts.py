"""Staff accounts: hashed passwords, lockout after repeated failures, disabling, the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sync.server.errors import StaffError
from sync.server.staff import accounts
from sync.server.staff.accounts import LOCKOUT, MAX_ATTEMPTS, sign_in
from sync.server.staff.roles import Role
from sync.server.storage import audit, staff_users, utc_now
from tests.staff.conftest import PASSWORD


def test_the_password_is_stored_only_as_a_salted_scrypt_hash(db, staff):
    one, two = staff(Role.OFFICER), staff(Role.OFFICER)
    with db.read() as connection:
        hashes = (
            connection.execute(
                select(staff_users.c.password_hash).where(staff_users.c.id.in_([one.id, two.id]))
            )
            .scalars()
            .all()
        )
    assert all(h.startswith("scrypt$16384$8$1$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt


def test_a_right_password_signs_in_with_the_role(db, staff):
    user = staff(Role.VERIFIER)
    result = sign_in(db, user.name, PASSWORD, now=utc_now())
    assert (result.ok, result.code, result.user) == (True, "ok", user)


def test_repeated_wrong_passwords_lock_the_account_until_the_lockout_ends(db, staff):
    user = staff(Role.OFFICER)
    now = utc_now()
    left = [sign_in(db, user.name, "wrong-password", now=now) for _ in range(MAX_ATTEMPTS)]
    assert [r.attempts_left for r in left[:-1]] == list(range(MAX_ATTEMPTS - 1, 0, -1))
    assert (left[-1].code, left[-1].locked_until) == ("locked", now + LOCKOUT)
    locked = sign_in(db, user.name, PASSWORD, now=now + LOCKOUT - timedelta(seconds=1))
    assert (locked.ok, locked.code) == (False, "locked")  # even the right password waits
    after = sign_in(db, user.name, PASSWORD, now=now + LOCKOUT + timedelta(seconds=1))
    assert after.ok


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(db, staff):
    user = staff(Role.OFFICER)
    unknown = sign_in(db, "Nobody-Here", PASSWORD, now=utc_now())
    wrong = sign_in(db, user.name, "wrong-password", now=utc_now())
    assert (unknown.ok, unknown.code, unknown.user) == (False, "wrong_password", None)
    assert wrong.code == unknown.code


def test_a_disabled_account_cannot_sign_in_and_the_attempts_are_audited(db, staff):
    user = staff(Role.TECHNICAL)
    accounts.disable_user(db, user.name, now=utc_now())
    result = sign_in(db, user.name, PASSWORD, now=utc_now())
    assert (result.ok, result.code) == (False, "disabled")
    assert not accounts.is_active(db, user)
    with db.read() as connection:
        outcomes = connection.execute(
            select(audit.c.action, audit.c.outcome)
            .where(audit.c.staff_user_id == user.id)
            .order_by(audit.c.id)
        ).all()
    assert [tuple(o) for o in outcomes] == [("sign_in", "disabled")]


def test_a_new_password_lifts_a_lockout(db, staff):
    user = staff(Role.OFFICER)
    for _ in range(MAX_ATTEMPTS):
        sign_in(db, user.name, "wrong-password", now=utc_now())
    accounts.set_password(db, user.name, "a-brand-new-passphrase", now=utc_now())
    assert sign_in(db, user.name, "a-brand-new-passphrase", now=utc_now()).ok


@pytest.mark.parametrize(
    ("name", "role", "password", "code"),
    [
        ("", "officer", PASSWORD, "bad_name"),
        ("Budi", "cleaner", PASSWORD, "bad_role"),
        ("Budi", "officer", "short", "weak_password"),
    ],
)
def test_bad_account_details_are_refused_with_a_reason(db, name, role, password, code):
    with pytest.raises(StaffError) as refused:
        accounts.add_user(db, name, role, password, now=utc_now())
    assert refused.value.code == code


def test_a_name_is_taken_only_once(db, staff):
    user = staff(Role.OFFICER)
    with pytest.raises(StaffError) as taken:
        accounts.add_user(db, f"  {user.name} ", "admin", PASSWORD, now=utc_now())
    assert taken.value.code == "user_exists"
