"""Officer sign-in at the counter: PINs hashed with scrypt and a per-officer salt, lockout after misses.

Five wrong PINs in a row lock that officer out for five minutes; a right PIN resets the count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.bootstrap import Kiosk
from kiosk.errors import InputError
from kiosk.services.clock import Clock, system_clock
from kiosk.store import officers as store

MAX_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)
PIN_LENGTHS = range(4, 9)
# scrypt at n=2**14 costs ~50 ms here: slow for guessing, unnoticed by a person signing in.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_pin(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, **_SCRYPT)


def check_pin_format(pin: str) -> None:
    if not pin.isdigit() or not pin.isascii() or len(pin) not in PIN_LENGTHS:
        raise InputError("the PIN must be 4 to 8 digits", where="pin", code="officer.pin_format")


def add_officer(kiosk: Kiosk, name: str, pin: str, *, clock: Clock = system_clock) -> str:
    """Register an officer; the PIN itself is never stored. Returns the name as saved."""
    clean = " ".join(name.split())
    if not clean:
        raise InputError("the officer needs a name", where="name", code="officer.name_missing")
    check_pin_format(pin)
    if store.find_officer(kiosk.db, clean) is not None:
        raise InputError(
            "an officer with this name already exists",
            where="name",
            code="officer.exists",
            params={"name": clean},
        )
    salt = secrets.token_bytes(16)
    store.insert_officer(kiosk.db, clean, salt, hash_pin(pin, salt), clock().isoformat())
    return clean


def officer_names(kiosk: Kiosk) -> list[str]:
    return store.officer_names(kiosk.db)


@dataclass(frozen=True)
class SignIn:
    """The outcome of one attempt: signed in, or the reason and what the officer can do next."""

    ok: bool
    officer: str | None = None
    code: str = "officer.login.ok"  # translation key of the sentence to show
    attempts_left: int = MAX_ATTEMPTS
    locked_until: datetime | None = None

    def seconds_locked(self, now: datetime) -> int:
        if self.locked_until is None:
            return 0
        return max(0, int((self.locked_until - now).total_seconds() + 0.999))


def sign_in(kiosk: Kiosk, name: str, pin: str, *, clock: Clock = system_clock) -> SignIn:
    now = clock()
    officer = store.find_officer(kiosk.db, " ".join(name.split()))
    if officer is None:
        # Same answer as a wrong PIN: the screen must not tell a stranger which names exist.
        return SignIn(ok=False, code="officer.login.wrong", attempts_left=MAX_ATTEMPTS)
    locked_until = datetime.fromisoformat(officer.locked_until) if officer.locked_until else None
    if locked_until is not None and now < locked_until:
        return SignIn(
            ok=False,
            officer=officer.name,
            code="officer.login.locked",
            attempts_left=0,
            locked_until=locked_until,
        )
    failed = 0 if locked_until is not None else officer.failed_attempts  # a served lockout resets
    if hmac.compare_digest(hash_pin(pin, officer.salt), officer.pin_hash):
        store.save_attempts(kiosk.db, officer.name, 0, None)
        return SignIn(ok=True, officer=officer.name)
    failed += 1
    if failed >= MAX_ATTEMPTS:
        until = now + LOCKOUT
        store.save_attempts(kiosk.db, officer.name, failed, until.isoformat())
        return SignIn(
            ok=False,
            officer=officer.name,
            code="officer.login.locked",
            attempts_left=0,
            locked_until=until,
        )
    store.save_attempts(kiosk.db, officer.name, failed, None)
    return SignIn(
        ok=False,
        officer=officer.name,
        code="officer.login.wrong",
        attempts_left=MAX_ATTEMPTS - failed,
    )
