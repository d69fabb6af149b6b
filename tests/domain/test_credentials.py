"""The shared credential rules: one hash format, one lockout, one answer for unknown and wrong."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain import credentials
from kiosk.domain.credentials import (
    CURRENT_COST,
    LOCKOUT_RULE,
    Lockout,
    LockoutRule,
    Outcome,
    ScryptCost,
    UnknownNames,
    attempt,
    hash_secret,
    judge,
    needs_rehash,
    verify,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SALT = bytes(range(16))
# Known answers, checked against OpenSSL (`openssl kdf ... SCRYPT`): a change to the format or
# the cost would make every stored PIN and password unusable.
PIN_2468 = (
    "scrypt$16384$8$1$000102030405060708090a0b0c0d0e0f$"
    "cea4f1390f7e25d3e56e52eacd3a602cc3365139a2960ffded25685db19eb9ff"
)
CHEAP_KATA_SANDI = (
    "scrypt$1024$8$1$6c656e676b61702d73616c742d303136$"
    "c2ffa09e9163ca36cae23fe68b2662f1534feef77937f1c419dc0d605dd03e0c"
)


def test_a_secret_is_stored_as_scrypt_with_its_cost_salt_and_hash():
    assert hash_secret("2468", SALT) == PIN_2468
    assert ScryptCost(n=2**14, r=8, p=1, length=32) == CURRENT_COST


def test_the_stored_hash_verifies_only_its_own_secret():
    assert verify("2468", PIN_2468)
    assert not verify("2469", PIN_2468)
    assert not verify("", PIN_2468)


def test_a_hash_made_at_another_cost_still_verifies_and_asks_to_be_rewritten():
    cheap = ScryptCost(n=2**10)
    assert hash_secret("kata sandi", b"lengkap-salt-016", cheap) == CHEAP_KATA_SANDI
    assert verify("kata sandi", CHEAP_KATA_SANDI)
    assert needs_rehash(CHEAP_KATA_SANDI)
    assert not needs_rehash(PIN_2468)


def test_two_salts_give_two_hashes_and_a_short_salt_is_refused():
    assert hash_secret("2468", b"\x01" * 16) != hash_secret("2468", b"\x02" * 16)
    with pytest.raises(ValueError):
        hash_secret("2468", b"short")


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "bcrypt$16384$8$1$00$00",
        "scrypt$16384$8$1$zz$00",
        "scrypt$1000$8$1$00$00",  # n not a power of two
        PIN_2468.rsplit("$", 1)[0],
    ],
)
def test_no_account_or_a_damaged_hash_costs_one_full_hash_and_never_matches(monkeypatch, stored):
    calls: list[dict[str, object]] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(credentials.hashlib, "scrypt", counting)
    assert not verify("2468", stored)
    assert len(calls) == 1
    cost = CURRENT_COST
    assert (calls[0]["n"], calls[0]["r"], calls[0]["p"]) == (cost.n, cost.r, cost.p)


def test_five_misses_in_a_row_lock_for_fifteen_minutes():
    assert LockoutRule(max_misses=5, lock_for=timedelta(minutes=15)) == LOCKOUT_RULE
    state = Lockout()
    outcomes = []
    for _ in range(5):
        verdict = judge(state, False, NOW)
        outcomes.append(verdict.outcome)
        state = verdict.lockout
    assert outcomes == [Outcome.WRONG] * 4 + [Outcome.LOCKED]
    assert state == Lockout(5, NOW + timedelta(minutes=15))


def test_while_locked_even_the_right_secret_waits_and_the_lock_is_kept():
    locked = Lockout(5, NOW + timedelta(minutes=15))
    verdict = judge(locked, True, NOW + timedelta(minutes=14, seconds=59))
    assert verdict.outcome is Outcome.LOCKED and verdict.lockout == locked
    assert verdict.locked_until == locked.locked_until
    assert judge(locked, True, NOW + timedelta(minutes=15)).outcome is Outcome.SIGNED_IN


def test_a_served_lock_starts_a_fresh_count():
    served = Lockout(5, NOW)
    verdict = judge(served, False, NOW)
    assert verdict == credentials.Verdict(Outcome.WRONG, Lockout(1, None))
    assert verdict.locked_until is None


def test_a_right_secret_resets_the_count():
    assert judge(Lockout(4, None), True, NOW).lockout == Lockout()


def test_an_unknown_name_never_signs_in_and_locks_after_as_many_misses_as_a_real_one():
    known, unknown = Lockout(), Lockout()
    for minute in range(7):
        now = NOW + timedelta(minutes=minute)
        wrong = attempt("0000", PIN_2468, known, now)
        stranger = attempt("2468", None, unknown, now)
        assert wrong == stranger
        known, unknown = wrong.lockout, stranger.lockout
    assert known.locked_until == NOW + timedelta(minutes=4 + 15)


def test_unknown_names_are_remembered_until_there_are_too_many():
    names = UnknownNames(capacity=2)
    names.put("a", Lockout(1))
    names.put("b", Lockout(2))
    names.put("a", Lockout(3))  # now the most recent
    names.put("c", Lockout(4))
    assert (names.get("a"), names.get("b"), names.get("c")) == (Lockout(3), Lockout(), Lockout(4))
    names.put("a", Lockout())
    assert names.get("a") == Lockout()
