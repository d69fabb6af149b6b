"""Officer sign-in at the counter: PINs checked and locked out by kiosk.domain.credentials.

The rule is the staff console's: five wrong PINs in a row lock that name for fifteen minutes, and
a right PIN resets the count. An unknown name gets the same answer as a wrong PIN, after the same
hashing time, and locks after as many misses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from kiosk.bootstrap import Kiosk
from kiosk.domain import credentials
from kiosk.domain.credentials import Outcome
from kiosk.errors import InputError
from kiosk.services.clock import Clock, system_clock
from kiosk.store import officers as store

PIN_LENGTHS = range(4, 9)


def check_pin_format(pin: str) -> None:
    if not pin.isdigit() or not pin.isascii() or len(pin) not in PIN_LENGTHS:
        raise InputError("the PIN must be 4 to 8 digits", where="pin", code="officer.pin_format")


def _new_hash(pin: str) -> str:
    return credentials.hash_secret(pin, secrets.token_bytes(credentials.SALT_BYTES))


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
    store.insert_officer(kiosk.db, clean, _new_hash(pin), clock().isoformat())
    return clean


def officer_names(kiosk: Kiosk) -> list[str]:
    return store.officer_names(kiosk.db)


_CODES = {
    Outcome.SIGNED_IN: "officer.login.ok",
    Outcome.WRONG: "officer.login.wrong",
    Outcome.LOCKED: "officer.login.locked",
}


@dataclass(frozen=True)
class SignIn:
    """One attempt's outcome; the same for a name that is no officer as for a wrong PIN."""

    ok: bool
    officer: str | None = None  # only once signed in
    code: str = "officer.login.ok"  # translation key of the sentence to show
    locked_until: datetime | None = None

    def seconds_locked(self, now: datetime) -> int:
        if self.locked_until is None:
            return 0
        return max(0, int((self.locked_until - now).total_seconds() + 0.999))


def sign_in(kiosk: Kiosk, name: str, pin: str, *, clock: Clock = system_clock) -> SignIn:
    now = clock()
    typed = " ".join(name.split())
    officer = store.find_officer(kiosk.db, typed)
    if officer is None:
        unknown, key = store.unknown_names(kiosk.db), store.name_key(typed)
        verdict = credentials.attempt(pin, None, unknown.get(key), now)
        unknown.put(key, verdict.lockout)
        return _refused(verdict)
    verdict = credentials.attempt(pin, officer.pin_hash, officer.lockout, now)
    store.save_lockout(kiosk.db, officer.name, verdict.lockout)
    if verdict.outcome is not Outcome.SIGNED_IN:
        return _refused(verdict)
    if officer.legacy or credentials.needs_rehash(officer.pin_hash):
        store.save_pin_hash(kiosk.db, officer.name, _new_hash(pin))
    return SignIn(ok=True, officer=officer.name)


def _refused(verdict: credentials.Verdict) -> SignIn:
    # Built from the verdict alone: nothing in it can tell a real name from a made-up one.
    return SignIn(ok=False, code=_CODES[verdict.outcome], locked_until=verdict.locked_until)
