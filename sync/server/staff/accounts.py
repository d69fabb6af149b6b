"""Staff accounts: a name, a role and a password kept only as a salted scrypt hash.

Hashing and lockout are kiosk.domain.credentials, shared with the officers' PINs: five wrong
passwords in a row lock a name for fifteen minutes, a right one resets the count. An unknown name
gets the same answer as a wrong password, after the same hashing time, and locks after as many
misses, so the console never tells a guesser which names exist. Every attempt is audited.

Admins and supervisors also type a one-time code from an authenticator app (TOTP, set up with
`kiosk-server user totp NAME`); other roles may opt in. The password and the code are one attempt,
judged together under the same lockout: a wrong code is a miss, answered like a wrong password.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from kiosk.domain import credentials
from kiosk.domain.credentials import Lockout, Outcome, UnknownNames
from sync.server.errors import PermissionDenied, StaffError, StaffNotFound
from sync.server.staff import twofactor
from sync.server.staff.history import record_staff_action
from sync.server.staff.roles import Action, Role, allowed
from sync.server.storage import Database, staff_users

MIN_PASSWORD = 10
MAX_NAME = 100


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    role: Role

    def can(self, action: Action) -> bool:
        return allowed(self.role, action)

    def require(self, action: Action) -> None:
        """PermissionDenied unless this user's role may do `action`."""
        if not self.can(action):
            raise PermissionDenied(self.role.value, action.value)


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    user: StaffUser | None
    # ok | wrong_password (a name that is no account, a wrong one-time code too) | locked
    # | disabled | totp_needed (an admin or supervisor without TOTP set up)
    code: str
    locked_until: datetime | None = None
    password_changed_at: datetime | None = None  # on success: what a session checks it against


@dataclass(frozen=True)
class StaffAccount:
    """An account as the admin's list shows it (never the hash)."""

    user: StaffUser
    created_at: datetime
    disabled: bool
    locked_until: datetime | None


def hash_password(password: str) -> str:
    return credentials.hash_secret(password, secrets.token_bytes(credentials.SALT_BYTES))


def clean_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME:
        raise StaffError("bad_name", "a staff name is 1 to 100 characters", limit=MAX_NAME)
    return clean


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError("weak_password", "password too short", minimum=MIN_PASSWORD)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed_roles = ", ".join(r.value for r in Role)
        raise StaffError(
            "bad_role", f"unknown role {role!r}", role=role, allowed=allowed_roles
        ) from None


def _user(row: object) -> StaffUser:
    return StaffUser(id=row.id, name=row.name, role=Role(row.role))  # type: ignore[attr-defined]


def add_user(
    db: Database, name: str, role: Role | str, password: str, *, now: datetime
) -> StaffUser:
    """A new staff account; StaffError `user_exists` when the name is taken."""
    clean, chosen = clean_name(name), _role(role)
    check_password(password)
    hashed = hash_password(password)
    with db.write() as connection:
        if connection.execute(select(staff_users.c.id).where(staff_users.c.name == clean)).first():
            raise StaffError("user_exists", "name taken", name=clean)
        new_id = connection.execute(
            insert(staff_users)
            .values(
                name=clean,
                role=chosen.value,
                password_hash=hashed,
                failed_attempts=0,
                created_at=now,
                password_changed_at=now,
            )
            .returning(staff_users.c.id)
        ).scalar_one()
        record_staff_action(
            connection,
            at=now,
            staff_user_id=None,
            action="user_add",
            outcome="ok",
            detail={"user_id": new_id, "role": chosen.value},
        )
    return StaffUser(id=new_id, name=clean, role=chosen)


def _find(connection: Connection, name: str):  # type: ignore[no-untyped-def]
    return connection.execute(
        select(staff_users).where(staff_users.c.name == " ".join(name.split()))
    ).first()


class _UnknownNameStates:
    """Lockout states of names typed that are no account, in this process's memory only, with
    the lock that makes reading, judging and storing one attempt a single step across threads."""

    def __init__(self) -> None:
        self.states = UnknownNames()
        self.lock = threading.Lock()


_unknown: WeakKeyDictionary[Database, _UnknownNameStates] = WeakKeyDictionary()
_unknown_guard = threading.Lock()


def _unknown_names(db: Database) -> _UnknownNameStates:
    with _unknown_guard:
        if db not in _unknown:
            _unknown[db] = _UnknownNameStates()
        return _unknown[db]


_CODES = {Outcome.WRONG: "wrong_password", Outcome.LOCKED: "locked"}


def sign_in(
    db: Database,
    name: str,
    password: str,
    *,
    now: datetime,
    code: str = "",
    totp_key: bytes | None = None,
) -> SignInResult:
    """Check a password, and the one-time `code` of an account with TOTP (its secret opened with
    `totp_key`), as one secret under the shared lockout rule. A disabled account, and an admin or
    supervisor without TOTP, are refused even with the right password; they count misses like any
    other. An accepted code's time-step is stored: the same code never signs in twice.

    Safe from many threads and processes at once: the hash is computed outside any transaction
    (it takes tens of milliseconds, and a SQLite write lock held that long stalls device sync),
    then the attempt is judged against the name's state as it stands at that moment, in one
    write transaction holding the row (or, for a name that is no account, under one lock). So
    however many attempts arrive together, at most `max_misses` of them are judged on their
    password before the name locks; the rest are answered "locked".
    """
    typed = " ".join(name.split())
    with db.read() as connection:
        row = _find(connection, typed)
    stored = row.password_hash if row is not None else None
    matches = credentials.verify(password, stored) and stored is not None
    if row is None:
        return _judge_unknown(db, typed, matches, now)
    stale = matches and credentials.needs_rehash(row.password_hash)
    rehashed = hash_password(password) if stale else None
    with db.write() as connection:
        current = connection.execute(
            select(staff_users).where(staff_users.c.id == row.id).with_for_update()
        ).first()
        if current is None:  # deleted in the meantime: no account any more
            record_staff_action(
                connection, at=now, staff_user_id=None, action="sign_in", outcome="unknown"
            )
            return SignInResult(False, None, "wrong_password", None)
        if current.password_hash != stored:
            matches = False  # a new password was set meanwhile: the old one no longer counts
        step = _code_step(current, code, totp_key, now)
        if current.totp_secret is not None and step is None:
            matches = False
        verdict = credentials.judge(
            Lockout(current.failed_attempts, current.locked_until), matches, now
        )
        changes: dict[str, object] = {
            "failed_attempts": verdict.lockout.misses,
            "locked_until": verdict.lockout.locked_until,
        }
        signed_in = verdict.outcome is Outcome.SIGNED_IN
        if signed_in and rehashed is not None:
            changes["password_hash"] = rehashed
        if signed_in and step is not None:
            changes["totp_last_step"] = step
        connection.execute(
            update(staff_users).where(staff_users.c.id == current.id).values(**changes)
        )
        if signed_in and current.disabled_at is not None:
            _audit_sign_in(connection, now, current.id, "disabled")
            return SignInResult(False, None, "disabled", None)
        if (
            signed_in
            and current.totp_secret is None
            and Role(current.role) in twofactor.REQUIRED_FOR
        ):
            _audit_sign_in(connection, now, current.id, "totp_needed")
            return SignInResult(False, None, "totp_needed", None)
        if signed_in:
            _audit_sign_in(connection, now, current.id, "ok")
            return SignInResult(True, _user(current), "ok", None, current.password_changed_at)
        _audit_sign_in(connection, now, current.id, "locked" if verdict.locked_until else "failed")
        return SignInResult(False, None, _CODES[verdict.outcome], verdict.locked_until)


def _code_step(row: object, code: str, totp_key: bytes | None, now: datetime) -> int | None:
    """The time-step the typed code is accepted for, or None (no TOTP, or a code refused)."""
    sealed = row.totp_secret  # type: ignore[attr-defined]
    if sealed is None:
        return None
    if totp_key is None:
        raise ValueError("an account with TOTP needs the server's key to check its code")
    secret = twofactor.unseal(totp_key, sealed, row.id)  # type: ignore[attr-defined]
    if secret is None:  # another server's key: no code can match, the admin sets it up again
        return None
    last: int | None = row.totp_last_step  # type: ignore[attr-defined]
    return credentials.totp_accepts(secret, code, now, last)


def set_totp(
    db: Database, name: str, secret: str, code: str, *, now: datetime, totp_key: bytes
) -> StaffUser:
    """Turn on (or replace) an account's TOTP once a first code from the app proves it reads the
    secret; StaffError `totp_wrong_code` otherwise, and nothing changes. The confirming code's
    step is stored as used, so it cannot sign anyone in afterwards."""
    step = credentials.totp_accepts(secret, code, now, None)
    if step is None:
        raise StaffError("totp_wrong_code", "the confirmation code does not match")
    with db.write() as connection:
        row = _find(connection, name)
        if row is None:
            raise StaffNotFound("user", name)
        connection.execute(
            update(staff_users)
            .where(staff_users.c.id == row.id)
            .values(totp_secret=twofactor.seal(totp_key, secret, row.id), totp_last_step=step)
        )
        _audit_account_change(connection, now, None, "totp_set", row.id)
    return _user(row)


def _judge_unknown(db: Database, typed: str, matches: bool, now: datetime) -> SignInResult:
    """A name that is no account: judged like one (never signed in), its state kept in memory."""
    unknown = _unknown_names(db)
    with unknown.lock:
        verdict = credentials.judge(unknown.states.get(typed), matches, now)
        unknown.states.put(typed, verdict.lockout)
    with db.write() as connection:
        record_staff_action(
            connection, at=now, staff_user_id=None, action="sign_in", outcome="unknown"
        )
    return SignInResult(False, None, _CODES[verdict.outcome], verdict.locked_until)


def _audit_sign_in(connection: Connection, now: datetime, user_id: int, outcome: str) -> None:
    record_staff_action(
        connection, at=now, staff_user_id=user_id, action="sign_in", outcome=outcome
    )


def _audit_account_change(
    connection: Connection, now: datetime, actor: StaffUser | None, action: str, user_id: int
) -> None:
    """A change to an existing account; no actor when it came from the command line."""
    record_staff_action(
        connection,
        at=now,
        staff_user_id=actor.id if actor else None,
        action=action,
        outcome="ok",
        detail={"user_id": user_id},
    )


def list_users(db: Database) -> list[StaffAccount]:
    with db.read() as connection:
        rows = connection.execute(select(staff_users).order_by(staff_users.c.name)).all()
    return [
        StaffAccount(_user(row), row.created_at, row.disabled_at is not None, row.locked_until)
        for row in rows
    ]


def find_user(db: Database, name: str) -> StaffUser:
    with db.read() as connection:
        row = _find(connection, name)
    if row is None:
        raise StaffNotFound("user", name)
    return _user(row)


def set_password(
    db: Database, name: str, password: str, *, now: datetime, actor: StaffUser | None = None
) -> None:
    """A new password (the admin's, or the user's own); clears a lockout."""
    check_password(password)
    if actor is not None and actor.name != " ".join(name.split()):
        actor.require(Action.MANAGE_USERS)
    hashed = hash_password(password)
    with db.write() as connection:
        row = _find(connection, name)
        if row is None:
            raise StaffNotFound("user", name)
        connection.execute(
            update(staff_users)
            .where(staff_users.c.id == row.id)
            .values(
                password_hash=hashed,
                password_changed_at=now,
                failed_attempts=0,
                locked_until=None,
            )
        )
        _audit_account_change(connection, now, actor, "set_password", row.id)


def disable_user(db: Database, name: str, *, now: datetime, actor: StaffUser | None = None) -> None:
    """The account can no longer sign in; its name stays in the history it made."""
    if actor is not None:
        actor.require(Action.MANAGE_USERS)
    with db.write() as connection:
        row = _find(connection, name)
        if row is None:
            raise StaffNotFound("user", name)
        if row.disabled_at is None:
            connection.execute(
                update(staff_users).where(staff_users.c.id == row.id).values(disabled_at=now)
            )
        _audit_account_change(connection, now, actor, "user_disable", row.id)


def end_sessions(db: Database, name: str, *, now: datetime, actor: StaffUser) -> StaffUser:
    """An admin ends an account's console sessions (the console forgets them; this audits it)."""
    actor.require(Action.MANAGE_USERS)
    with db.write() as connection:
        row = _find(connection, name)
        if row is None:
            raise StaffNotFound("user", name)
        _audit_account_change(connection, now, actor, "end_sessions", row.id)
    return _user(row)


def password_changed_at(db: Database, user: StaffUser) -> datetime | None:
    """When the account's password was last set; None once it is disabled (or gone). A console
    session signed in under another value has ended: a new password or a disabled account ends
    every session of that account, wherever the change was made (console or command line)."""
    with db.read() as connection:
        row = connection.execute(
            select(staff_users.c.password_changed_at, staff_users.c.disabled_at).where(
                staff_users.c.id == user.id
            )
        ).first()
    if row is None or row.disabled_at is not None:
        return None
    changed: datetime = row.password_changed_at
    return changed


def is_active(db: Database, user: StaffUser) -> bool:
    """False once the account is disabled: the console re-checks on every action."""
    with db.read() as connection:
        row = connection.execute(
            select(staff_users.c.disabled_at).where(staff_users.c.id == user.id)
        ).first()
    return row is not None and row.disabled_at is None
