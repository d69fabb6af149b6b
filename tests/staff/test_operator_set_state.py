"""`kiosk-server record set-state` is the console's staff action by another door: for the same
transition it writes the same case row, rollup change, audit row (but for who) and feed entry."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sync.server.cli import cli
from sync.server.staff import cases as complaints
from sync.server.staff import review
from sync.server.staff.casework import viewing
from sync.server.staff.history import case_history
from sync.server.staff.intake import catch_up
from sync.server.staff.roles import Role
from sync.server.storage import audit, case_daily, changes, records, utc_now
from sync.server.storage import cases as case_rows
from sync.server.storage import devices as device_rows
from tests.server.records import complaint_record, push_body, submission_record
from tests.staff.helpers import push

OPERATOR = "Budi Santoso"
CASE_COLUMNS = (
    "state",
    "first_action_at",
    "wait_seconds",
    "decided_at",
    "handling_seconds",
    "review",
    "disbursement",
    "escalated_at",
)


@pytest.fixture
def run(staff_db_url, tmp_path, monkeypatch):
    """The real command on the test server's database; `at` fixes the clock it reads."""

    def invoke(*args, at=None, code=0):
        if at is not None:
            monkeypatch.setattr("sync.server.cli.utc_now", lambda: at)
        options = ["--db", staff_db_url, "--data-dir", str(tmp_path), "--lang", "en"]
        result = CliRunner().invoke(cli, [*args, *options])
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def _rollup(db):
    with db.read() as connection:
        return {
            tuple(row[:5]): dict(row._mapping)
            for row in connection.execute(select(case_daily)).all()
        }


def _delta(before, after):
    changed = {}
    for key, row in after.items():
        old = before.get(key, {})
        diff = {
            name: value - old.get(name, 0)
            for name, value in row.items()
            if isinstance(value, int) and name != "stage" and value != old.get(name, 0)
        }
        if diff:
            changed[key] = diff
    return changed


def _case(db, number):
    with db.read() as connection:
        row = (
            connection.execute(
                select(case_rows, records.c.version)
                .join(records, records.c.id == case_rows.c.record_id)
                .where(records.c.register_number == number)
            )
            .mappings()
            .one()
        )
    return {name: row[name] for name in (*CASE_COLUMNS, "version")}


def _staff_audit(db, client_id):
    with db.read() as connection:
        rows = connection.execute(
            select(audit).where(audit.c.client_id == client_id, audit.c.action != "push")
        ).mappings()
        return [dict(row) for row in rows]


def _feed(db, client_id):
    with db.read() as connection:
        rows = connection.execute(select(changes).order_by(changes.c.seq)).mappings().all()
    return [row for row in rows if json.loads(row["data"])["client_id"] == client_id]


def _same_except_who(console_row, cli_row, staff_id):
    """The audit rows match in everything but who acted (and the ids they point at)."""
    assert console_row["staff_user_id"] == staff_id
    assert cli_row["staff_user_id"] is None
    console_detail = json.loads(console_row["detail"])
    cli_detail = json.loads(cli_row["detail"])
    assert cli_detail.pop("operator") == OPERATOR
    assert "operator" not in console_detail
    assert console_detail.keys() == cli_detail.keys()
    assert {k: v for k, v in console_detail.items() if k != "note_id"} == {
        k: v for k, v in cli_detail.items() if k != "note_id"
    }
    for name in ("at", "action", "outcome", "device_id", "code"):
        assert console_row[name] == cli_row[name], name


def _compare(db, run, console, cli_args, console_number, cli_number, client_ids):
    """Run the console action and the command on twin records at the same moment; compare."""
    at = utc_now() + timedelta(minutes=5)
    before = _rollup(db)
    console(at)
    by_console = _delta(before, _rollup(db))
    middle = _rollup(db)
    run("record", "set-state", cli_number, *cli_args, "--operator", OPERATOR, at=at)
    by_cli = _delta(middle, _rollup(db))
    assert by_console and by_cli == by_console
    [counts] = by_cli.values()
    assert counts["acted"] == 1 and counts["decided"] == 1 and counts["wait_seconds"] > 0
    assert _case(db, cli_number) == _case(db, console_number)
    assert _case(db, cli_number)["first_action_at"] == at

    [console_audit] = _staff_audit(db, client_ids[0])
    [cli_audit] = _staff_audit(db, client_ids[1])
    return console_audit, cli_audit, _feed(db, client_ids[0]), _feed(db, client_ids[1])


def _feed_data_match(console_feed, cli_feed, numbers):
    [console_change], [cli_change] = console_feed, cli_feed
    assert console_change["kind"] == cli_change["kind"] == "status"
    assert console_change["device_id"] == cli_change["device_id"] is not None
    console_data, cli_data = json.loads(console_change["data"]), json.loads(cli_change["data"])
    assert (console_data.pop("register_number"), cli_data.pop("register_number")) == numbers
    console_data.pop("client_id"), cli_data.pop("client_id")
    assert console_data == cli_data


def test_verifying_from_the_command_line_writes_what_the_console_approval_writes(
    db, device, staff, run
):
    first, second = submission_record(device.device_code), submission_record(device.device_code)
    numbers = tuple(push(device, first, second))
    catch_up(db, now=utc_now())
    reviewer = staff(Role.VERIFIER)
    with viewing(db, numbers[0], "submission") as (_, loaded):
        version = loaded.version

    def approve(at):
        review.approve(db, reviewer, numbers[0], version=version, now=at)

    console_audit, cli_audit, console_feed, cli_feed = _compare(
        db,
        run,
        approve,
        ["verified"],
        *numbers,
        (first.client_id, second.client_id),
    )
    assert cli_audit["action"] == "approve" and cli_audit["outcome"] == "verified"
    _same_except_who(console_audit, cli_audit, reviewer.id)
    _feed_data_match(console_feed, cli_feed, numbers)
    with db.read() as connection:
        history = case_history(connection, second.client_id)
    assert history[-1].who == f"{OPERATOR} (kiosk-server)"


def test_resolving_from_the_command_line_writes_what_the_console_resolution_writes(
    db, device, staff, run
):
    first, second = complaint_record(device.device_code), complaint_record(device.device_code)
    numbers = tuple(push(device, first, second))
    catch_up(db, now=utc_now())
    officer = staff(Role.OFFICER)
    message = "Dana sudah ditransfer ulang pada 3 Maret."
    with viewing(db, numbers[0], "complaint") as (_, loaded):
        version = loaded.version

    def resolve(at):
        complaints.resolve(db, officer, numbers[0], version=version, now=at, message=message)

    console_audit, cli_audit, console_feed, cli_feed = _compare(
        db,
        run,
        resolve,
        ["resolved", "--note", message],
        *numbers,
        (first.client_id, second.client_id),
    )
    assert cli_audit["action"] == "resolve" and "note_id" in json.loads(cli_audit["detail"])
    _same_except_who(console_audit, cli_audit, officer.id)
    _feed_data_match(console_feed, cli_feed, numbers)


def test_without_an_operator_option_the_os_user_is_recorded(db, device, run):
    record = submission_record(device.device_code)
    [number] = push(device, record)
    run("record", "set-state", number, "verified")
    [row] = _staff_audit(db, record.client_id)
    assert json.loads(row["detail"])["operator"] == getpass.getuser()


def test_a_rejection_from_the_command_line_needs_a_message_for_the_person(db, device, run):
    record = submission_record(device.device_code)
    [number] = push(device, record)
    refused = run("record", "set-state", number, "rejected", code=1)
    assert "needs a message" in refused and "--note" in refused
    assert _staff_audit(db, record.client_id) == [] and _feed(db, record.client_id) == []


def _copy_under_another_device(db, record, other_device, client_id):
    """A second row with `record`'s number, as a database from before migration 0004 may hold
    (a device then could push another device's number); pushing one now is refused."""
    with db.write() as connection:
        row = dict(
            connection.execute(select(records).where(records.c.client_id == record.client_id))
            .mappings()
            .one()
        )
        other_id = connection.execute(
            select(device_rows.c.id).where(device_rows.c.name == other_device.name)
        ).scalar_one()
        del row["id"]
        row.update(client_id=client_id, device_id=other_id, register_clash=1)
        connection.execute(records.insert().values(**row))


def test_a_number_two_records_share_is_refused_naming_only_the_number(db, device, live_server, run):
    first = submission_record(device.device_code)
    other_device = live_server.enroll(area="32.01")
    second = submission_record(
        other_device.device_code, register_number=first.body["register_number"]
    )
    push(device, first)
    with other_device.client() as client:
        answer = client.post("/v1/push", json=push_body(second))
    assert answer.json()["results"][0]["status"] == "rejected"  # issue 11: not its number
    _copy_under_another_device(db, first, other_device, second.client_id)
    number = first.body["register_number"]
    refused = run("record", "set-state", number, "verified", code=1)
    assert number in refused and "nothing was changed" in refused
    assert refused.count("\n") == 1
    assert device.device_code not in refused.replace(number, "")
    assert other_device.device_code not in refused
    for record in (first, second):
        assert _staff_audit(db, record.client_id) == [] and _feed(db, record.client_id) == []
    with db.read() as connection:
        states = connection.execute(
            select(records.c.state, records.c.version).where(records.c.register_number == number)
        ).all()
    assert sorted(states) == [("synced", 1), ("synced", 1)]
