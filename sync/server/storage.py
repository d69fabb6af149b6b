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
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
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
    # 0 for every record; 1, 2, ... only for the later of several records that shared a number
    # before migration 0004 made numbers unique (kept, never routed to: see numbering.py).
    Column("register_clash", SmallInteger, nullable=False, default=0, server_default="0"),
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
    # Bumped by every staff change: two staff editing one case get StaleEdit, not an overwrite.
    Column("version", Integer, nullable=False, default=1, server_default="1"),
    Index(None, "kind", "received_at"),
    Index("uq_records_register_number", "register_number", "register_clash", unique=True),
    sqlite_autoincrement=True,
)

# The random device code a kiosk numbered its records with before it enrolled, learnt at its
# first push and tied to it: no other device may use it, and no device is assigned it.
device_codes = Table(
    "device_codes",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("device_id", ForeignKey("devices.id"), nullable=False, index=True),
    Column("learnt_at", UtcDateTime, nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("stored_at", UtcDateTime, nullable=False),
)

# Which device sent which photo's bytes (the SHA-256 alone proves nothing): a record may name
# only photos its own device sent (sync/server/photo_owners.py).
attachment_owners = Table(
    "attachment_owners",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("device_id", ForeignKey("devices.id"), primary_key=True, autoincrement=False),
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
    Column("staff_user_id", Integer),  # who, when a staff member acted (migration 0003)
    Column("detail", Text),  # JSON: what a staff action changed; ids and codes, no personal data
    # The hash chain (migration 0006): the row's place in the chain, the hash of the row before
    # it and its own hash over both and its content (sync/server/audit.py).
    Column("seq", BigInteger, index=True, unique=True),
    Column("prev_hash", String(64)),
    Column("row_hash", String(64)),
    sqlite_autoincrement=True,
)

# The chain's head, one row: how long the chain is and its last hash. Appenders lock it (FOR
# UPDATE; SQLite's writers are serial already), so the chain stays one line whatever the number
# of processes; verify also learns from it whether rows were cut from the end.
audit_chain = Table(
    "audit_chain",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("length", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
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

# Satisfaction answers from the self-check kiosk: no personal data, only what the score concerns.
survey_answers = Table(
    "survey_answers",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False, unique=True),  # the idempotency key
    Column("device_id", Integer, nullable=False),
    Column("area", String(13), nullable=False),  # the device's area when the answer arrived
    Column("score", SmallInteger, nullable=False),
    Column("flow", String(20), nullable=False),
    Column("language", String(5), nullable=False),
    Column("answered_at", UtcDateTime, nullable=False, index=True),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "area"),
    CheckConstraint("score BETWEEN 1 AND 5", name="ck_survey_answers_score"),
    sqlite_autoincrement=True,
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
        # No pool_pre_ping: it costs a round trip (SELECT 1) on every checkout, about a tenth of
        # the server's time when a drain checks out a connection per request. A connection that
        # died anyway (PostgreSQL restarted) fails the one request that used it with a 500,
        # which a device retries; SQLAlchemy then sees the disconnect and drops every pooled
        # connection older than it, so the next requests connect afresh. pool_recycle replaces
        # idle connections before a firewall or PgBouncer timeout silently cuts them.
        return create_engine(url, hide_parameters=True, pool_recycle=300, pool_size=10)
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


# --- the staff console (migration 0003) ----------------------------------------------------------

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),  # scrypt$n$r$p$salt$hash only
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime),
    Column("disabled_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    # The TOTP secret sealed with the server's key (sync/server/staff/twofactor.py), never in the
    # clear; the last time-step whose code was accepted, so no code is taken twice.
    Column("totp_secret", String(200)),
    Column("totp_last_step", BigInteger),
    sqlite_autoincrement=True,
)

# One row per record: the staff side of a complaint or submission (classification, assignment,
# deadlines, review) and the record's facts that monitoring groups by, read once from its JSON at
# arrival so that dashboards over a million records never parse a body.
cases = Table(
    "cases",
    metadata,
    Column("record_id", ForeignKey("records.id"), primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(20), nullable=False),  # mirrors records.state
    Column("area", String(13), nullable=False),  # the device's region digits
    Column("program", String(64)),
    Column("stage", SmallInteger),
    Column("received_at", UtcDateTime, nullable=False),
    Column("received_day", Date, nullable=False),  # UTC day: trends group by it on any database
    # submissions
    Column("complete", Boolean),
    Column("first_visit", Boolean),  # no earlier submission for this person, program and stage
    Column("person_key", String(64)),  # SHA-256 of program, stage and NIK: finds earlier visits
    Column("mismatch", Boolean),  # any of the three below
    Column("account_mismatch", Boolean),
    Column("name_mismatch", Boolean),
    Column("not_registered", Boolean),
    Column("review", String(24)),  # documents_requested while the person brings them
    Column("disbursement", String(20)),
    # complaints
    Column("category", String(40)),
    Column("severity", String(10)),
    Column("team", String(20)),
    Column("assignee_id", Integer),
    Column("first_response_due", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("escalated_at", UtcDateTime),
    # both: waiting (received -> first staff action) and handling (-> decision) times
    Column("first_action_at", UtcDateTime),
    Column("decided_at", UtcDateTime),
    # The same two spans in whole seconds, kept on write: averaging integers over a million rows
    # is several times faster than subtracting timestamps.
    Column("wait_seconds", Integer),
    Column("handling_seconds", Integer),
    Index(None, "kind", "received_day", "area"),
    Index(None, "kind", "area", "received_day"),  # a region's view (staff.workflow.within_area)
    Index(None, "kind", "due_at"),
    Index(None, "kind", "state", "received_at"),  # the review queue: waiting longest first
    Index(None, "person_key"),
)

# The documents a submission lacked at arrival, with the columns monitoring filters on.
case_missing_documents = Table(
    "case_missing_documents",
    metadata,
    Column("record_id", ForeignKey("records.id"), primary_key=True, autoincrement=False),
    Column("document", String(64), primary_key=True),
    Column("area", String(13), nullable=False),
    Column("program", String(64)),
    Column("stage", SmallInteger),
    Column("received_day", Date, nullable=False),
    Index(None, "received_day"),
)

# Staff notes, messages for the person, reasons and referrals: text staff wrote about a case.
case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("record_id", ForeignKey("records.id"), nullable=False, index=True),
    Column("staff_user_id", Integer),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),
    sqlite_autoincrement=True,
)

# Per day, province, program and stage: the counts the unfiltered dashboard reads, kept on write
# (sync/server/staff/rollup.py), so a national view sums thousands of rows instead of a million.
case_daily = Table(
    "case_daily",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("received_day", Date, primary_key=True),
    Column("province", String(2), primary_key=True),
    Column("program", String(64), primary_key=True),  # "" for none
    Column("stage", SmallInteger, primary_key=True, autoincrement=False),  # 0 for none
    *(
        Column(name, BigInteger, nullable=False, default=0, server_default="0")
        for name in (
            "records",
            "complete",
            "first_visit",
            "first_visit_complete",
            "account_mismatch",
            "name_mismatch",
            "not_registered",
            "any_mismatch",
            "acted",
            "wait_seconds",
            "decided",
            "handling_seconds",
        )
    ),
)
