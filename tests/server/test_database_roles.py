"""`kiosk-server db roles`: on PostgreSQL the server's own role cannot disable, drop or get round
the audit trail's append-only triggers, yet writes the trail and every other table as before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import DBAPIError

from sync.server import audit, migrations
from sync.server.cli import cli
from sync.server.storage import Database
from tests.support.server import POSTGRES_ADMIN, backend_database

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[Database, str, str]]:
    """A migrated PostgreSQL database after `db roles --apply` with roles only this test uses."""
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"lk_owner_{suffix}", f"lk_app_{suffix}"
    with backend_database("postgresql", tmp_path / "unused.sqlite") as url:
        database = Database(url)
        try:
            migrations.upgrade(database)
            result = CliRunner().invoke(
                cli,
                ["db", "roles", "--owner", owner, "--app", app, "--apply", "--db", url],
                catch_exceptions=False,
            )
            assert result.exit_code == 0, result.output
            yield database, owner, app
        finally:
            with database.write() as connection:
                connection.exec_driver_sql(f"REASSIGN OWNED BY {owner} TO postgres")
                connection.exec_driver_sql(f"DROP OWNED BY {owner}")
                connection.exec_driver_sql(f"DROP OWNED BY {app}")
            database.close()
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {app}")
        admin.execute(f"DROP ROLE IF EXISTS {owner}")


def _as_role(database: Database, role: str, statement: str) -> None:
    with database.write() as connection:
        connection.exec_driver_sql(f"SET LOCAL ROLE {role}")
        connection.exec_driver_sql(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
        "ALTER TABLE audit DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_append_only ON audit",
        "DROP FUNCTION audit_append_only() CASCADE",
        "DROP TABLE audit",
        "UPDATE audit SET outcome = 'changed'",
        "DELETE FROM audit",
        "TRUNCATE audit",
        "SET session_replication_role = replica",
        "ALTER TABLE audit_chain DISABLE TRIGGER ALL",
    ],
)
def test_the_app_role_cannot_change_or_get_round_the_audit_trail(guarded, statement):
    database, _owner, app = guarded
    with database.write() as connection:
        audit.append(connection, at=AT, action="push", outcome="stored", device_id=1)
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner|append-only"):
        _as_role(database, app, statement)
    with database.read() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM audit").scalar() == 1
        triggers = connection.exec_driver_sql(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        ).all()
    assert [tuple(row) for row in triggers] == [
        ("audit_append_only", "O"),
        ("audit_no_truncate", "O"),
    ]
    assert audit.verify(database).intact


def test_the_app_role_appends_to_the_trail_and_writes_other_tables(guarded):
    database, _owner, app = guarded
    with database.write() as connection:
        connection.exec_driver_sql(f"SET LOCAL ROLE {app}")
        audit.append(connection, at=AT, action="push", outcome="stored", device_id=1)
        audit.append(connection, at=AT, action="push", outcome="duplicate", device_id=1)
        connection.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('probe', '1')")
        connection.exec_driver_sql("UPDATE meta SET value = '2' WHERE key = 'probe'")
        connection.exec_driver_sql("DELETE FROM meta WHERE key = 'probe'")
    check = audit.verify(database)
    assert (check.rows, check.intact) == (2, True)


def test_the_owner_role_owns_every_table_and_the_guard_function(guarded):
    database, owner, app = guarded
    with database.read() as connection:
        owners = set(
            connection.exec_driver_sql(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).scalars()
        )
        function_owner = connection.exec_driver_sql(
            "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'audit_append_only'"
        ).scalar()
        app_is_super = connection.execute(
            sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :name"), {"name": app}
        ).scalar()
    assert owners == {owner} and function_owner == owner and app_is_super is False


def test_db_roles_prints_the_sql_without_a_database():
    result = CliRunner().invoke(cli, ["db", "roles", "--owner", "lk_o", "--app", "lk_a"])
    assert result.exit_code == 0, result.output
    assert "REVOKE UPDATE, DELETE ON public.audit FROM lk_a;" in result.output
    assert "OWNER TO lk_o" in result.output


@pytest.mark.parametrize("names", [["--app", "Robert'); DROP"], ["--owner", "x", "--app", "x"]])
def test_db_roles_refuses_names_it_cannot_quote_and_one_role_for_both(names):
    result = CliRunner().invoke(cli, ["db", "roles", *names, "--lang", "en"])
    assert result.exit_code == 1
    assert "DROP" not in result.stdout
