"""The audit trail is a hash chain: `kiosk-server audit verify` finds a changed, removed or
smuggled row by its id, and concurrent appenders still extend one unbroken line."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from sync.server import audit, migrations
from sync.server.cli import cli
from sync.server.staff.history import record_staff_action
from sync.server.storage import Database
from sync.server.storage import audit as audit_table
from tests.support.server import BACKENDS, backend_database

START = datetime(2026, 12, 4, 8, 30, 15, 123456, tzinfo=UTC)
SECRET_CLIENT_ID = "client-7d1e"  # stands for row content the command must never print


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with backend_database(request.param, tmp_path / "audit.sqlite") as url:
        opened = Database(url)
        try:
            yield opened
        finally:
            opened.close()


def _migrated(database: Database) -> Database:
    migrations.upgrade(database)
    return database


def _append_events(database: Database, count: int) -> list[int]:
    """`count` events through the product's appenders; the ids of the rows, in order."""
    with database.write() as connection:
        for index in range(count):
            at = START + timedelta(seconds=index)
            if index % 3 == 2:
                record_staff_action(
                    connection,
                    at=at,
                    staff_user_id=index,
                    action="review",
                    outcome="verified",
                    client_id=f"{SECRET_CLIENT_ID}-{index}",
                    detail={"from": "received", "to": "verified"},
                )
            elif index % 3 == 1:
                audit.append_many(
                    connection,
                    [
                        {"at": at, "action": "push", "outcome": "stored", "device_id": 4},
                        {"at": at, "action": "push", "outcome": "duplicate", "code": "dup"},
                    ],
                )
            else:
                audit.append(
                    connection,
                    at=at,
                    action="attachment",
                    outcome="stored",
                    device_id=index,
                    client_id=f"{SECRET_CLIENT_ID}-{index}",
                    fingerprint="ab" * 32,
                )
    with database.read() as connection:
        return list(
            connection.execute(sa.select(audit_table.c.id).order_by(audit_table.c.id)).scalars()
        )


def _tamper(database: Database, statement: str, **params: object) -> None:
    """Run `statement` as the database owner would, the append-only guard lifted for it."""
    with database.write() as connection:
        if database.dialect == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit DISABLE TRIGGER USER")
            connection.execute(sa.text(statement), params)
            connection.exec_driver_sql("ALTER TABLE audit ENABLE TRIGGER USER")
        else:
            guards = (
                connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"
                )
                .scalars()
                .all()
            )
            connection.exec_driver_sql("DROP TRIGGER audit_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_no_delete")
            connection.execute(sa.text(statement), params)
            for guard in guards:
                connection.exec_driver_sql(guard)


def _assert_intact(database: Database, rows: int) -> None:
    """verify finds `rows` rows, unbroken, ending in the hash of the last one."""
    with database.read() as connection:
        last = connection.execute(
            sa.select(audit_table.c.row_hash).order_by(audit_table.c.seq.desc()).limit(1)
        ).scalar()
    assert audit.verify(database) == audit.ChainCheck(rows, last_hash=last or audit.GENESIS)


def _verify_command(database: Database, *extra: str):
    return CliRunner().invoke(
        cli, ["audit", "verify", "--db", database.url, "--lang", "en", *extra]
    )


def test_a_chain_of_appends_verifies_with_its_row_count(database):
    ids = _append_events(_migrated(database), 9)
    assert len(ids) == 12  # three of the nine events wrote two rows each
    _assert_intact(database, 12)
    result = _verify_command(database)
    assert result.exit_code == 0, result.output
    assert "12 rows" in result.output
    as_json = _verify_command(database, "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.output) == {
        "intact": True,
        "rows": 12,
        "problem": None,
        "row_id": None,
        "last_hash": audit.verify(database).last_hash,
    }


def test_an_empty_trail_verifies(database):
    _assert_intact(_migrated(database), 0)


def test_each_row_holds_the_hash_of_the_row_before_it(database):
    _append_events(_migrated(database), 4)
    with database.read() as connection:
        rows = connection.execute(
            sa.select(audit_table.c.seq, audit_table.c.prev_hash, audit_table.c.row_hash).order_by(
                audit_table.c.id
            )
        ).all()
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    assert len({row.row_hash for row in rows}) == len(rows)


def test_a_row_changed_in_the_database_breaks_the_chain_at_that_row(database):
    ids = _append_events(_migrated(database), 9)
    changed = ids[5]
    _tamper(database, "UPDATE audit SET outcome = 'rejected' WHERE id = :id", id=changed)
    assert audit.verify(database) == audit.ChainCheck(5, "content_changed", changed)
    result = _verify_command(database)
    assert result.exit_code == 1
    assert f"row id {changed} " in result.output and "was changed" in result.output
    assert SECRET_CLIENT_ID not in result.output and "rejected" not in result.output
    as_json = _verify_command(database, "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["row_id"] == changed


def test_a_changed_moment_or_staff_detail_is_found_too(database):
    ids = _append_events(_migrated(database), 3)  # the third event is a staff action
    _tamper(database, "UPDATE audit SET detail = '{}' WHERE id = :id", id=ids[3])
    assert audit.verify(database).row_id == ids[3]


def test_a_row_changed_with_its_hash_recomputed_breaks_the_chain_at_the_next_row(database):
    ids = _append_events(_migrated(database), 6)
    with database.read() as connection:
        row = connection.execute(sa.select(audit_table).where(audit_table.c.id == ids[2])).one()
    forged = audit.row_hash({**row._mapping, "outcome": "rejected"})
    _tamper(
        database,
        "UPDATE audit SET outcome = 'rejected', row_hash = :forged WHERE id = :id",
        forged=forged,
        id=ids[2],
    )
    assert audit.verify(database) == audit.ChainCheck(3, "previous_changed", ids[3])


def test_a_deleted_middle_row_breaks_the_chain_at_the_row_after_it(database):
    ids = _append_events(_migrated(database), 9)
    _tamper(database, "DELETE FROM audit WHERE id = :id", id=ids[4])
    assert audit.verify(database) == audit.ChainCheck(4, "row_missing_before", ids[5])
    result = _verify_command(database, "--lang", "id")
    assert result.exit_code == 1
    assert f"baris id {ids[5]} " in result.output


def test_rows_cut_from_the_end_are_found_from_the_chain_head(database):
    ids = _append_events(_migrated(database), 9)
    _tamper(database, "DELETE FROM audit WHERE id >= :id", id=ids[-2])
    assert audit.verify(database) == audit.ChainCheck(len(ids) - 2, "rows_missing_at_end")
    result = _verify_command(database)
    assert result.exit_code == 1 and "missing at the end" in result.output


def test_a_row_written_around_the_server_is_found(database):
    ids = _append_events(_migrated(database), 3)
    with database.write() as connection:
        connection.execute(
            sa.text("INSERT INTO audit (at, action, outcome) VALUES (CURRENT_TIMESTAMP, 'x', 'y')")
        )
    check = audit.verify(database)
    assert check.problem == "unchained" and check.row_id is not None and check.row_id > ids[-1]


def test_concurrent_appenders_extend_one_unbroken_chain(database):
    _migrated(database)
    threads, per_thread = 6, 15
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def appender(number: int) -> None:
        try:
            start.wait()
            for index in range(per_thread):
                with database.write() as connection:
                    audit.append(
                        connection,
                        at=START + timedelta(milliseconds=index),
                        action="push",
                        outcome="stored",
                        device_id=number,
                    )
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    workers = [threading.Thread(target=appender, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    _assert_intact(database, threads * per_thread)


def test_the_migration_chains_the_rows_already_in_the_trail(database):
    config = migrations._config()
    with database.write() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
    old = sa.table(
        "audit", sa.column("at"), sa.column("action"), sa.column("outcome"), sa.column("detail")
    )
    with database.write() as connection:
        for index in range(5):
            connection.execute(
                sa.insert(old).values(
                    at=START.replace(tzinfo=None) if database.dialect == "sqlite" else START,
                    action="push",
                    outcome="stored",
                    detail=None if index % 2 else '{"n":1}',
                )
            )
    migrations.upgrade(database)
    _assert_intact(database, 5)
    _append_events(database, 2)
    _assert_intact(database, 8)


def test_a_chain_rebuilt_from_an_earlier_row_ends_in_another_hash(database):
    """Hashes without a key: whoever may rewrite the table may rebuild the chain after a change.
    The last hash verify prints, kept off the server, is what shows it."""
    ids = _append_events(_migrated(database), 6)
    noted = audit.verify(database).last_hash
    with database.read() as connection:
        rows = (
            connection.execute(sa.select(audit_table).order_by(audit_table.c.seq)).mappings().all()
        )
    forged = audit.chained(
        [{**row, "outcome": "rejected"} if row["id"] == ids[1] else dict(row) for row in rows],
        0,
        audit.GENESIS,
    )
    for row in forged:
        _tamper(
            database,
            "UPDATE audit SET outcome = :outcome, prev_hash = :prev_hash, row_hash = :row_hash "
            "WHERE seq = :seq",
            **{name: row[name] for name in ("outcome", "prev_hash", "row_hash", "seq")},
        )
    with database.write() as connection:
        connection.execute(
            sa.text("UPDATE audit_chain SET last_hash = :last"), {"last": forged[-1]["row_hash"]}
        )
    check = audit.verify(database)
    assert check.intact and check.last_hash != noted
    result = _verify_command(database)
    assert noted not in result.output and forged[-1]["row_hash"] in result.output
