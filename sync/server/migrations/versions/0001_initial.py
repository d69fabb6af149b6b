"""Initial schema: devices, enrolment codes, records, attachments, audit, changes, rules, roster.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)

# The audit trail is append-only: the database itself refuses to change or delete a row.
_SQLITE_AUDIT_GUARDS = [
    f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRESQL_AUDIT_GUARDS = [
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )
    op.create_table(
        "devices",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("device_code", sa.String(6), nullable=False),
        sa.Column("area", sa.String(13), nullable=False),
        sa.Column("credential_hash", sa.String(64), nullable=True),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("enrolled_at", Moment, nullable=True),
        sa.Column("revoked_at", Moment, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.UniqueConstraint("name", name="uq_devices_name"),
        sa.UniqueConstraint("device_code", name="uq_devices_device_code"),
        sa.UniqueConstraint("credential_hash", name="uq_devices_credential_hash"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "enrollment_codes",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("device_id", Serial, nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("expires_at", Moment, nullable=False),
        sa.Column("used_at", Moment, nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_enrollment_codes_device_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_enrollment_codes"),
        sa.UniqueConstraint("code_hash", name="uq_enrollment_codes_code_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_enrollment_codes_device_id", "enrollment_codes", ["device_id"])
    op.create_table(
        "records",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("device_id", Serial, nullable=False),
        sa.Column("register_number", sa.String(32), nullable=False),
        sa.Column("program", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("state_note", sa.Text(), nullable=True),
        sa.Column("device_verdict", sa.Text(), nullable=True),
        sa.Column("server_verdict", sa.Text(), nullable=False),
        sa.Column("verdicts_agree", sa.Boolean(), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=True),
        sa.Column("received_at", Moment, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name="fk_records_device_id"),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.UniqueConstraint("client_id", name="uq_records_client_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_records_register_number", "records", ["register_number"])
    op.create_index("ix_records_kind_received_at", "records", ["kind", "received_at"])
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_attachments"),
    )
    op.create_table(
        "audit",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("at", Moment, nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_client_id", "audit", ["client_id"])
    op.create_table(
        "changes",
        sa.Column("seq", Serial, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(13), nullable=True),
        sa.Column("supersede_key", sa.String(120), nullable=True),
        sa.Column("changed_at", Moment, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_changes"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_changes_device_id", "changes", ["device_id"])
    op.create_index("ix_changes_supersede_key", "changes", ["supersede_key"])
    op.create_table(
        "rules",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("program", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rules"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_rules_program", "rules", ["program"])
    op.create_table(
        "roster",
        sa.Column("program", sa.String(64), nullable=False),
        sa.Column("nik", sa.String(16), nullable=False),
        sa.Column("area", sa.String(13), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("program", "nik", name="pk_roster"),
    )
    guards = _POSTGRESQL_AUDIT_GUARDS if op.get_bind().dialect.name == "postgresql" else []
    if op.get_bind().dialect.name == "sqlite":
        guards = _SQLITE_AUDIT_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    for table in (
        "roster",
        "rules",
        "changes",
        "audit",
        "attachments",
        "records",
        "enrollment_codes",
        "devices",
        "meta",
    ):
        op.drop_table(table)
