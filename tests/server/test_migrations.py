"""Migrations: one schema for SQLite and PostgreSQL, from empty, exactly what storage.py describes."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from sync.server import migrations
from sync.server.cli import cli
from sync.server.storage import Database, metadata


def test_migrations_build_the_schema_from_empty_and_match_the_tables(empty_db_url):
    database = Database(empty_db_url)
    try:
        assert migrations.current_revision(database) is None
        assert migrations.upgrade(database) == migrations.head_revision()
        assert migrations.upgrade(database) == migrations.head_revision()  # twice is harmless
        tables = set(inspect(database.engine).get_table_names())
        assert set(metadata.tables) <= tables
        with database.read() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        database.close()


def test_kiosk_server_migrate_reports_the_revision(empty_db_url, tmp_path):
    result = CliRunner().invoke(
        cli, ["migrate", "--db", empty_db_url, "--data-dir", str(tmp_path), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert migrations.head_revision() in result.output


def test_the_audit_trail_cannot_be_changed_or_deleted(empty_db_url):
    database = Database(empty_db_url)
    try:
        migrations.upgrade(database)
        with database.write() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit (at, action, outcome) VALUES (CURRENT_TIMESTAMP, 'test', 'x')"
                )
            )
        for statement in ("UPDATE audit SET outcome = 'y'", "DELETE FROM audit"):
            with pytest.raises(DBAPIError, match="append-only"), database.write() as connection:
                connection.execute(text(statement))
    finally:
        database.close()


def test_serve_uses_sqlite_in_the_data_dir_without_configuration(tmp_path, monkeypatch):
    from sync.server.settings import ServerSettings

    monkeypatch.setenv("KIOSK_SERVER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KIOSK_SERVER_DB", raising=False)
    settings = ServerSettings.resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'server.sqlite'}"
    assert (
        ServerSettings.resolve(tmp_path, "postgresql://u@h/db").database_url
        == "postgresql+psycopg://u@h/db"
    )


def test_postgres_url_is_a_throwaway_database_that_answers(postgres_url):
    database = Database(postgres_url)
    try:
        assert database.dialect == "postgresql" and database.is_reachable()
        assert "lengkap_test_" in postgres_url
    finally:
        database.close()
