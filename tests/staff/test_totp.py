"""Staff two-factor sign-in (TOTP, RFC 6238): codes, replay, drift, the shared lockout, the sealed
secret, and `kiosk-server user totp` as an operator runs it. Time is fixed: the domain takes it."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from kiosk.domain.credentials import LOCKOUT_RULE
from sync.server.errors import StaffError
from sync.server.staff import accounts, twofactor
from sync.server.staff.accounts import sign_in
from sync.server.staff.roles import Role
from sync.server.storage import Database, staff_users
from tests.staff.conftest import PASSWORD

NOW = datetime(2026, 12, 4, 9, 30, 10, tzinfo=UTC)  # 10 s into a time-step
STEP = timedelta(seconds=30)
KEY = bytes(range(32))


def with_totp(db, user, at=NOW - 3 * STEP) -> pyotp.TOTP:
    """TOTP set up as the command does it, confirmed a few steps before NOW."""
    secret = twofactor.new_secret()
    accounts.set_totp(db, user.name, secret, pyotp.TOTP(secret).at(at), now=at, totp_key=KEY)
    return pyotp.TOTP(secret)


def test_right_password_and_right_code_sign_in(db, staff):
    user = staff(Role.ADMIN)
    app = with_totp(db, user)
    result = sign_in(db, user.name, PASSWORD, now=NOW, code=app.at(NOW), totp_key=KEY)
    assert (result.ok, result.code, result.user) == (True, "ok", user)


def test_a_wrong_code_reads_like_a_wrong_password_and_counts_towards_the_lock(db, staff):
    user, other = staff(Role.SUPERVISOR), staff(Role.SUPERVISOR)
    app = with_totp(db, user)
    with_totp(db, other)
    wrong_code = f"{(int(app.at(NOW)) + 1) % 10**6:06d}"
    answers = [
        sign_in(db, user.name, PASSWORD, now=NOW, code=wrong_code, totp_key=KEY)
        for _ in range(LOCKOUT_RULE.max_misses)
    ]
    wrong_passwords = [
        sign_in(db, other.name, "wrong-password", now=NOW, code="", totp_key=KEY)
        for _ in range(LOCKOUT_RULE.max_misses)
    ]
    assert answers == wrong_passwords  # same codes, same lock time: nothing tells them apart
    assert [a.code for a in answers] == ["wrong_password"] * (LOCKOUT_RULE.max_misses - 1) + [
        "locked"
    ]
    # Locked: now even the right password and code wait.
    assert (
        sign_in(db, user.name, PASSWORD, now=NOW, code=app.at(NOW), totp_key=KEY).code == "locked"
    )


def test_a_missing_code_is_a_miss_too(db, staff):
    user = staff(Role.ADMIN)
    with_totp(db, user)
    result = sign_in(db, user.name, PASSWORD, now=NOW, totp_key=KEY)
    assert (result.ok, result.code) == (False, "wrong_password")
    with db.read() as connection:
        misses = connection.execute(
            select(staff_users.c.failed_attempts).where(staff_users.c.id == user.id)
        ).scalar_one()
    assert misses == 1


def test_a_code_signs_in_once_and_is_refused_when_replayed(db, staff):
    user = staff(Role.SUPERVISOR)
    app = with_totp(db, user)
    code = app.at(NOW)
    assert sign_in(db, user.name, PASSWORD, now=NOW, code=code, totp_key=KEY).ok
    later = NOW + timedelta(seconds=15)  # the same code is still on the phone's screen
    replayed = sign_in(db, user.name, PASSWORD, now=later, code=code, totp_key=KEY)
    assert (replayed.ok, replayed.code) == (False, "wrong_password")
    assert sign_in(
        db, user.name, PASSWORD, now=NOW + STEP, code=app.at(NOW + STEP), totp_key=KEY
    ).ok


def test_the_confirming_code_cannot_sign_in_afterwards(db, staff):
    user = staff(Role.ADMIN)
    app = with_totp(db, user, at=NOW)
    refused = sign_in(db, user.name, PASSWORD, now=NOW, code=app.at(NOW), totp_key=KEY)
    assert refused.code == "wrong_password"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR])
def test_an_admin_or_supervisor_without_totp_is_refused_with_the_setup_answer(db, staff, role):
    user = staff(role)
    result = sign_in(db, user.name, PASSWORD, now=NOW, totp_key=KEY)
    assert (result.ok, result.code, result.user) == (False, "totp_needed", None)
    # Only the right password learns it: a guess reads as any wrong password.
    assert sign_in(db, user.name, "wrong-password", now=NOW).code == "wrong_password"


def test_other_roles_sign_in_without_a_code_and_may_opt_in(db, staff):
    plain, careful = staff(Role.VERIFIER), staff(Role.OFFICER)
    assert sign_in(db, plain.name, PASSWORD, now=NOW, code="", totp_key=KEY).ok
    app = with_totp(db, careful)
    assert not sign_in(db, careful.name, PASSWORD, now=NOW, totp_key=KEY).ok
    assert sign_in(db, careful.name, PASSWORD, now=NOW, code=app.at(NOW), totp_key=KEY).ok


def test_the_secret_is_sealed_and_opens_only_with_its_key_and_account(db, staff):
    user = staff(Role.ADMIN)
    secret = twofactor.new_secret()
    accounts.set_totp(db, user.name, secret, pyotp.TOTP(secret).at(NOW), now=NOW, totp_key=KEY)
    with db.read() as connection:
        stored = connection.execute(
            select(staff_users.c.totp_secret).where(staff_users.c.id == user.id)
        ).scalar_one()
    raw = base64.b32decode(secret)
    assert secret not in stored and raw.hex() not in stored
    assert twofactor.unseal(KEY, stored, user.id) == secret
    assert twofactor.unseal(bytes(32), stored, user.id) is None  # another server's key
    assert twofactor.unseal(KEY, stored, user.id + 1) is None  # copied onto another account
    # With the wrong key no code can match: the account reads as a wrong code, nothing more.
    later = NOW + 2 * STEP
    code = pyotp.TOTP(secret).at(later)
    result = sign_in(db, user.name, PASSWORD, now=later, code=code, totp_key=bytes(32))
    assert result.code == "wrong_password"


def test_a_wrong_confirmation_code_changes_nothing(db, staff):
    user = staff(Role.ADMIN)
    secret = twofactor.new_secret()
    wrong = f"{(int(pyotp.TOTP(secret).at(NOW)) + 1) % 10**6:06d}"
    with pytest.raises(StaffError) as refused:
        accounts.set_totp(db, user.name, secret, wrong, now=NOW, totp_key=KEY)
    assert refused.value.code == "totp_wrong_code"
    assert sign_in(db, user.name, PASSWORD, now=NOW, totp_key=KEY).code == "totp_needed"


def test_the_server_key_is_made_once_readable_by_its_owner_only(tmp_path):
    key = twofactor.server_key(tmp_path / "data")
    path = tmp_path / "data" / twofactor.KEY_FILE
    assert len(key) == twofactor.KEY_BYTES and path.stat().st_mode & 0o777 == 0o600
    twofactor._keys.clear()  # another process reads the same file
    assert twofactor.server_key(tmp_path / "data") == key


def _server(data_dir: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sync.server", *args, "--data-dir", str(data_dir)]
    return subprocess.run(
        [*command, "--lang", "en"], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_the_cli_shows_a_secret_once_and_turns_totp_on_after_a_right_code(tmp_path):
    data = tmp_path / "server"
    added = _server(
        data, "user", "add", "Sari", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    assert "kiosk-server user totp Sari" in added.stdout
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "sync.server", "user", "totp", "Sari"]
    with subprocess.Popen(
        [*command, "--data-dir", str(data), "--lang", "en"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    ) as process:
        assert process.stdout and process.stdin and process.stderr
        shown = []
        while not (line := process.stdout.readline()).startswith("Secret: "):
            assert line, (shown, process.stderr.read())
            shown.append(line)
        secret = line.removeprefix("Secret: ").strip()
        wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 10**6:06d}"
        process.stdin.write(wrong + "\n")
        process.stdin.write(pyotp.TOTP(secret).now() + "\n")
        process.stdin.close()
        rest, errors = process.stdout.read(), process.stderr.read()
        assert process.wait(timeout=60) == 0, errors
    uri = next(s for s in shown if s.startswith("otpauth://"))
    assert pyotp.parse_uri(uri.strip()).secret == secret
    assert any("█" in s or "▀" in s for s in shown)  # the QR code, drawn in the terminal
    assert "does not match" in errors  # the wrong one was refused, a second try was offered
    assert "Two-factor sign-in is on for Sari" in rest
    database = Database(f"sqlite:///{data / 'server.sqlite'}")
    try:
        key = twofactor.server_key(data)
        later = datetime.now(UTC) + 2 * STEP  # past the confirming code's step
        code = pyotp.TOTP(secret).at(later)
        assert sign_in(database, "Sari", PASSWORD, now=later, code=code, totp_key=key).ok
    finally:
        database.close()
    assert secret not in (data / "server.sqlite").read_bytes().decode("latin-1")


def test_the_cli_turns_nothing_on_after_wrong_codes(tmp_path):
    data = tmp_path / "server"
    _server(
        data,
        "user",
        "add",
        "Adi",
        "--role",
        "supervisor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    refused = _server(data, "user", "totp", "Adi", stdin="000000\n" * 3)
    shown = re.search(r"Secret: (\w+)", refused.stdout)
    assert shown and refused.returncode == 1
    database = Database(f"sqlite:///{data / 'server.sqlite'}")
    try:
        key = twofactor.server_key(data)
        now = datetime.now(UTC)
        answer = sign_in(database, "Adi", PASSWORD, now=now, totp_key=key)
        assert answer.code == "totp_needed"
    finally:
        database.close()
