"""`kiosk-server user ...` and `kiosk-server escalate`: thin commands over the staff modules."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sync.server.cli import cli
from sync.server.staff.accounts import sign_in
from sync.server.storage import Database, utc_now


@pytest.fixture
def sqlite_options(tmp_path):
    return ["--data-dir", str(tmp_path), "--lang", "en"]


def _run(options, *args, stdin=None, code=0):
    result = CliRunner().invoke(cli, [*args, *options], input=stdin)
    assert result.exit_code == code, result.output
    return result.output


def test_an_admin_adds_lists_and_disables_staff_accounts(sqlite_options, tmp_path):
    out = _run(
        sqlite_options,
        "user",
        "add",
        "Rina",
        "--role",
        "verifier",
        "--password-stdin",
        stdin="kata-sandi-rina-1\n",
    )
    assert "Staff account Rina (verifier) created." in out
    added = _run(
        sqlite_options, "user", "add", "Budi", "--role", "supervisor", stdin="sandi-budi-123\n" * 2
    )
    assert "run  kiosk-server user totp Budi" in added  # a supervisor needs a code app first
    assert "user totp" not in out  # a verifier does not
    listed = [
        json.loads(line) for line in _run(sqlite_options, "user", "list", "--json").splitlines()
    ]
    assert listed == [
        {"name": "Budi", "role": "supervisor", "status": "active"},
        {"name": "Rina", "role": "verifier", "status": "active"},
    ]
    _run(sqlite_options, "user", "disable", "Rina")
    assert "disabled" in _run(sqlite_options, "user", "list")
    database = Database(f"sqlite:///{tmp_path / 'server.sqlite'}")
    try:
        # The right password, but a supervisor without TOTP: refused until it is set up.
        assert sign_in(database, "Budi", "sandi-budi-123", now=utc_now()).code == "totp_needed"
        assert sign_in(database, "Budi", "not-budis-password", now=utc_now()).code == (
            "wrong_password"
        )
        assert sign_in(database, "Rina", "kata-sandi-rina-1", now=utc_now()).code == "disabled"
    finally:
        database.close()


def test_mistyped_passwords_unknown_roles_and_names_fail_with_one_line(sqlite_options):
    differ = _run(
        sqlite_options,
        "user",
        "add",
        "Sari",
        "--role",
        "officer",
        stdin="one-password-1\nanother-password\n",
        code=1,
    )
    assert "The two passwords differ." in differ
    _run(
        sqlite_options,
        "user",
        "add",
        "Sari",
        "--role",
        "janitor",
        "--password-stdin",
        stdin="x\n",
        code=2,
    )
    short = _run(
        sqlite_options,
        "user",
        "add",
        "Sari",
        "--role",
        "officer",
        "--password-stdin",
        stdin="short\n",
        code=1,
    )
    assert "at least 10 characters" in short
    missing = _run(sqlite_options, "user", "disable", "Nobody", code=1)
    assert missing.strip() == 'kiosk-server: There is no staff account "Nobody".'


def test_escalate_reports_how_many_complaints_it_escalated(sqlite_options):
    assert "0 overdue complaints escalated" in _run(sqlite_options, "escalate")


def test_every_staff_command_has_help():
    for args in (
        ["user", "add"],
        ["user", "list"],
        ["user", "disable"],
        ["user", "password"],
        ["escalate"],
    ):
        out = _run([], *args, "--help")
        assert "Penggunaan:" in out and len(out.splitlines()) > 3
