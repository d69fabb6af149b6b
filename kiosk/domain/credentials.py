"""Secrets that sign people in: an officer's PIN at the kiosk, a staff password at the console,
and the staff's one-time codes (TOTP) beside the password.

One hash format, one lockout rule and one way of answering for both, so that neither sign-in
screen tells a stranger which names exist:

- a secret is kept only as `scrypt$n$r$p$<salt hex>$<hash hex>`; the cost travels with the hash,
  so it can be raised later and old hashes still verify (`needs_rehash` says when to rewrite one);
- every attempt costs exactly one scrypt computation, whether the name exists, is locked or not
  (an unknown name is checked against a hash of the same cost that nothing matches);
- the lockout rule counts misses per name, for names that are no account too, so a made-up name
  locks after as many misses as a real one;
- a wrong one-time code is a miss like a wrong password: the password and the code are judged as
  one secret, so a guesser never learns which of the two was wrong.

Pure computation: the caller gives the salt, the time and the stored state, and stores the result.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp

SCHEME = "scrypt"
SALT_BYTES = 16


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's parameters: n and r set the memory (128·n·r bytes) and with p the time."""

    n: int = 2**14
    r: int = 8
    p: int = 1
    length: int = 32  # bytes of derived key


# n=2**14, r=8: 16 MiB and about 50 ms on an idle core; slow for a guesser, unnoticed at sign-in.
CURRENT_COST = ScryptCost()

# What an unknown name is checked against: a salt of the usual length, so it costs the same.
_NO_ACCOUNT_SALT = bytes(SALT_BYTES)


def _derive(secret: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=cost.n, r=cost.r, p=cost.p, dklen=cost.length
    )


def encode(cost: ScryptCost, salt: bytes, derived: bytes) -> str:
    """The stored form of a hash (also for hashes kept some older way, to verify them here)."""
    return f"{SCHEME}${cost.n}${cost.r}${cost.p}${salt.hex()}${derived.hex()}"


def hash_secret(secret: str, salt: bytes, cost: ScryptCost = CURRENT_COST) -> str:
    """The string to store for `secret`; `salt` is SALT_BYTES of fresh randomness from the caller."""
    if len(salt) < SALT_BYTES:
        raise ValueError(f"a salt needs at least {SALT_BYTES} bytes")
    return encode(cost, salt, _derive(secret, salt, cost))


def _decode(stored: str) -> tuple[ScryptCost, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, derived = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not derived:
        return None
    return ScryptCost(n, r, p, len(derived)), salt, derived


def verify(secret: str, stored: str | None) -> bool:
    """Whether `secret` matches `stored`. None (no such account) or a damaged hash is False, after
    the same work as a real check at today's cost."""
    decoded = _decode(stored) if stored is not None else None
    if decoded is None:
        _derive(secret, _NO_ACCOUNT_SALT, CURRENT_COST)
        return False
    cost, salt, expected = decoded
    return hmac.compare_digest(_derive(secret, salt, cost), expected)


def needs_rehash(stored: str, cost: ScryptCost = CURRENT_COST) -> bool:
    """True when `stored` was made at another cost (or is unreadable): rewrite it at sign-in."""
    decoded = _decode(stored)
    return decoded is None or decoded[0] != cost


@dataclass(frozen=True)
class LockoutRule:
    """So many misses in a row lock a name for a while; a right secret resets the count."""

    max_misses: int = 5
    lock_for: timedelta = timedelta(minutes=15)


LOCKOUT_RULE = LockoutRule()


@dataclass(frozen=True)
class Lockout:
    """A name's stored state: misses in a row, and until when it is locked (None: not locked)."""

    misses: int = 0
    locked_until: datetime | None = None


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # a wrong secret or a name that is no account: one answer for both
    LOCKED = "locked"


@dataclass(frozen=True)
class Verdict:
    """One attempt's outcome and the name's state to store after it."""

    outcome: Outcome
    lockout: Lockout

    @property
    def locked_until(self) -> datetime | None:
        return self.lockout.locked_until if self.outcome is Outcome.LOCKED else None


def judge(
    lockout: Lockout, secret_matches: bool, now: datetime, rule: LockoutRule = LOCKOUT_RULE
) -> Verdict:
    """The lockout rule: while locked even the right secret waits; a served lock starts afresh."""
    if lockout.locked_until is not None and now < lockout.locked_until:
        return Verdict(Outcome.LOCKED, lockout)
    if secret_matches:
        return Verdict(Outcome.SIGNED_IN, Lockout())
    misses = (0 if lockout.locked_until is not None else lockout.misses) + 1
    if misses >= rule.max_misses:
        return Verdict(Outcome.LOCKED, Lockout(misses, now + rule.lock_for))
    return Verdict(Outcome.WRONG, Lockout(misses, None))


def attempt(
    secret: str,
    stored: str | None,
    lockout: Lockout,
    now: datetime,
    rule: LockoutRule = LOCKOUT_RULE,
) -> Verdict:
    """One sign-in attempt against a stored hash, or None for a name that is no account.

    The hash is computed first, whatever the state: a locked or unknown name takes as long to
    answer as any other, so the time tells nothing either.
    """
    matches = verify(secret, stored) and stored is not None
    return judge(lockout, matches, now, rule)


class UnknownNames:
    """The lockout states of names that are no account, in memory only (never stored, never logged).

    They must lock like real names, or five misses would tell a real name from a made-up one. The
    oldest are forgotten beyond `capacity`; flooding it costs a guesser one hash per name, far
    longer than a lock lasts.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._states: OrderedDict[str, Lockout] = OrderedDict()

    def get(self, key: str) -> Lockout:
        return self._states.get(key, Lockout())

    def put(self, key: str, lockout: Lockout) -> None:
        self._states.pop(key, None)
        if lockout != Lockout():
            self._states[key] = lockout
        while len(self._states) > self._capacity:
            self._states.popitem(last=False)


# Time-based one-time codes (RFC 6238) as staff authenticator apps make them: 30-second steps,
# 6 digits, HMAC-SHA-1 (the only hash every common app supports). A code is taken one step either
# side of the server's (a phone's clock drifts), and only for a step later than the last one
# accepted for that account, so a code seen over a shoulder cannot be used again.
TOTP_PERIOD_SECONDS = 30
TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1


def totp_step(now: datetime) -> int:
    """The time-step `now` falls in (seconds since 1970 divided by the period)."""
    return int(now.timestamp()) // TOTP_PERIOD_SECONDS


def totp_code(secret_base32: str, step: int) -> str:
    """The code for one time-step of a base32 secret, zero-padded to TOTP_DIGITS."""
    return pyotp.TOTP(
        secret_base32, digits=TOTP_DIGITS, digest=hashlib.sha1, interval=TOTP_PERIOD_SECONDS
    ).generate_otp(step)


def totp_accepts(
    secret_base32: str, typed: str, now: datetime, last_step: int | None
) -> int | None:
    """The time-step a typed code matches (to store as the account's last), or None: a code of
    another shape, one outside the drift, and one of a step already used are all refused alike."""
    code = "".join(typed.split())
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    current = totp_step(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        fresh = last_step is None or step > last_step
        if hmac.compare_digest(totp_code(secret_base32, step), code) and fresh:
            return step
    return None
