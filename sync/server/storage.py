"""The server's tables (SQLAlchemy Core) and how to open them: one schema for SQLite and PostgreSQL.

SQLite is the embedded default; its writers take the lock up front (BEGIN IMMEDIATE), so two
processes never deadlock upgrading a read to a write. Statement parameters are hidden from error
messages, because they hold NIKs and names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql.dml import Insert

# SQLite makes an autoincrementing key only of an INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
Serial = BigInteger().with_variant(Integer(), "sqlite")
SQLITE_BUSY_MS = 30_000
_WRITE_OPTION = "lengkap_write"


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the server stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("device_code", String(6), nullable=False, unique=True),
    Column("area", String(13), nullable=False),
    Column("credential_hash", String(64), unique=True),  # SHA-256 of the credential, never itself
    Column("created_at", UtcDateTime, nullable=False),
    Column("enrolled_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    sqlite_autoincrement=True,
)

enrollment_codes = Table(
    "enrollment_codes",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("device_id", ForeignKey("devices.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    sqlite_autoincrement=True,
)

records = Table(
    "records",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    # The idempotency key: one row per client id, whatever races the network produces.
    Column("client_id", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("device_id", ForeignKey("devices.id"), nullable=False),
    Column("register_number", String(32), nullable=False, index=True),
    Column("program", String(64)),
    Column("fingerprint", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the record's canonical JSON, as the device sent it
    Column("attachments", Text, nullable=False),  # JSON list of SHA-256s
    Column("state", String(20), nullable=False),
    Column("state_note", Text),
    Column("device_verdict", Text),  # JSON: what the device concluded at the counter
    Column("server_verdict", Text, nullable=False),  # JSON: what the server concluded
    Column("verdicts_agree", Boolean, nullable=False),
    Column("rules_version", String(64)),
    Column("received_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "kind", "received_at"),
    sqlite_autoincrement=True,
)

attachments = Table(
    "attachments",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("stored_at", UtcDateTime, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("device_id", Integer),  # no foreign key: the trail outlives what it mentions
    Column("action", String(20), nullable=False),
    Column("client_id", String(64), index=True),
    Column("fingerprint", String(64)),  # record fingerprint or attachment SHA-256
    Column("outcome", String(20), nullable=False),
    Column("code", String(64)),
    sqlite_autoincrement=True,
)

changes = Table(
    "changes",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),
    Column("device_id", Integer, index=True),  # set for a status change: only that device pulls it
    Column("area", String(13)),  # region digits; NULL reaches every device
    Column("supersede_key", String(120), index=True),  # a newer change with this key replaces it
    Column("changed_at", UtcDateTime, nullable=False),
    Column("data", Text, nullable=False),
    sqlite_autoincrement=True,
)

rules = Table(
    "rules",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("program", String(64), nullable=False, index=True),
    Column("version", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

roster = Table(
    "roster",
    metadata,
    Column("program", String(64), primary_key=True),
    Column("nik", String(16), primary_key=True),
    Column("area", String(13), nullable=False),
    Column("entry", Text, nullable=False),  # JSON of the published row
    Column("removed", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON for text columns."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets WAL, a busy timeout and our own BEGIN."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=10)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, which would skip BEGIN before DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode up to the last commit
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The engine plus the two ways in: a read transaction and a write transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def insert_ignoring_duplicates(self, table: Table) -> Insert:
        """INSERT ... ON CONFLICT DO NOTHING: the race-safe way to insert once."""
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).on_conflict_do_nothing()

    def lock(self, connection: Connection, key: int) -> None:
        """Serialise writers of one kind until commit (SQLite's writers already are)."""
        if self.dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def is_reachable(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except Exception:  # any failure means "not reachable" to a health check
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()
