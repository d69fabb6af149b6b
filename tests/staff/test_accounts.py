"""Staff accounts: hashed passwords, lockout after repeated failures, disabling, the audit trail."""

from __future__ import annotations

import secrets
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kiosk.domain.credentials import LOCKOUT_RULE, ScryptCost, hash_secret, verify
from sync.server.errors import StaffError
from sync.server.staff import accounts
from sync.server.staff.accounts import sign_in
from sync.server.staff.roles import Role
from sync.server.storage import audit, staff_users, utc_now
from tests.staff.conftest import PASSWORD

MISSES, LOCK = LOCKOUT_RULE.max_misses, LOCKOUT_RULE.lock_for


def stored_hash(db, user_id: int) -> str:
    with db.read() as connection:
        return connection.execute(
            select(staff_users.c.password_hash).where(staff_users.c.id == user_id)
        ).scalar_one()


def nobody() -> str:
    return f"nobody-{secrets.token_hex(4)}"  # the server outlives a test: a name of its own


def test_the_password_is_stored_only_as_a_salted_scrypt_hash(db, staff):
    one, two = staff(Role.OFFICER), staff(Role.OFFICER)
    hashes = [stored_hash(db, one.id), stored_hash(db, two.id)]
    assert all(h.startswith("scrypt$16384$8$1$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt
    assert verify(PASSWORD, hashes[0])  # the one format the kiosk's PINs use too


def test_a_password_hashed_at_an_older_cost_signs_in_and_is_rewritten_at_todays(db, staff):
    user = staff(Role.OFFICER)
    older = hash_secret(PASSWORD, secrets.token_bytes(16), ScryptCost(n=2**12))
    with db.write() as connection:
        connection.execute(
            update(staff_users).where(staff_users.c.id == user.id).values(password_hash=older)
        )
    assert not sign_in(db, user.name, "wrong-password", now=utc_now()).ok
    assert stored_hash(db, user.id) == older  # a miss rewrites nothing
    assert sign_in(db, user.name, PASSWORD, now=utc_now()).ok
    rewritten = stored_hash(db, user.id)
    assert rewritten.startswith("scrypt$16384$8$1$") and verify(PASSWORD, rewritten)


def test_a_right_password_signs_in_with_the_role(db, staff):
    user = staff(Role.VERIFIER)
    result = sign_in(db, user.name, PASSWORD, now=utc_now())
    assert (result.ok, result.code, result.user) == (True, "ok", user)


def test_repeated_wrong_passwords_lock_the_account_until_the_lockout_ends(db, staff):
    user = staff(Role.OFFICER)
    now = utc_now()
    answers = [sign_in(db, user.name, "wrong-password", now=now) for _ in range(MISSES)]
    assert [r.code for r in answers] == ["wrong_password"] * (MISSES - 1) + ["locked"]
    assert answers[-1].locked_until == now + timedelta(minutes=15)
    locked = sign_in(db, user.name, PASSWORD, now=now + LOCK - timedelta(seconds=1))
    assert (locked.ok, locked.code) == (False, "locked")  # even the right password waits
    after = sign_in(db, user.name, PASSWORD, now=now + LOCK + timedelta(seconds=1))
    assert after.ok


def test_an_unknown_name_gets_the_same_answers_as_a_wrong_password_up_to_the_lock(db, staff):
    user, stranger, now = staff(Role.OFFICER), nobody(), utc_now()
    for _ in range(MISSES + 2):
        unknown = sign_in(db, stranger, PASSWORD, now=now)
        wrong = sign_in(db, user.name, "wrong-password", now=now)
        assert unknown == wrong
    assert (unknown.ok, unknown.code, unknown.user) == (False, "locked", None)
    assert unknown.locked_until == now + LOCK
    assert sign_in(db, stranger, PASSWORD, now=now + LOCK).code == "wrong_password"


def test_an_unknown_name_takes_as_long_to_refuse_as_a_wrong_password(db, staff):
    # Interleaved, so both see the same load; a lock window apart, so no name stays locked.
    user, stranger, now = staff(Role.OFFICER), nobody(), utc_now()
    unknown, wrong = [], []
    for turn in range(7):
        at = now + turn * LOCK
        for name, password, times in [(stranger, PASSWORD, unknown), (user.name, "wrong", wrong)]:
            started = time.perf_counter()
            sign_in(db, name, password, now=at)
            times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (statistics.median(unknown), statistics.median(wrong))


def test_a_disabled_account_cannot_sign_in_and_the_attempts_are_audited(db, staff):
    user = staff(Role.TECHNICAL)
    accounts.disable_user(db, user.name, now=utc_now())
    result = sign_in(db, user.name, PASSWORD, now=utc_now())
    assert (result.ok, result.code) == (False, "disabled")
    assert not accounts.is_active(db, user)
    # Only the right password learns that the account is disabled: a guess reads as wrong.
    guess = sign_in(db, user.name, "wrong-password", now=utc_now())
    assert guess == sign_in(db, nobody(), "wrong-password", now=utc_now())
    with db.read() as connection:
        outcomes = connection.execute(
            select(audit.c.action, audit.c.outcome)
            .where(audit.c.staff_user_id == user.id)
            .order_by(audit.c.id)
        ).all()
    assert [tuple(o) for o in outcomes] == [("sign_in", "disabled"), ("sign_in", "failed")]


def test_a_new_password_lifts_a_lockout(db, staff):
    user = staff(Role.OFFICER)
    for _ in range(MISSES):
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
