"""Staff console: staff accounts, case rows (staff side + monitoring facts), notes, audit who/what.

Also a version on every record for optimistic concurrency. Records already on the server get their
case rows here (the backfill), read from their JSON once; later ones get them as they arrive or at
the console's next look (sync/server/staff/intake.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, not a batch copy: SQLite keeps the audit trail's
    # append-only triggers, and PostgreSQL adds a column with a constant default instantly.
    op.add_column("audit", sa.Column("staff_user_id", sa.Integer(), nullable=True))
    op.add_column("audit", sa.Column("detail", sa.Text(), nullable=True))
    op.add_column("records", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "staff_users",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", Moment, nullable=True),
        sa.Column("disabled_at", Moment, nullable=True),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("password_changed_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("name", name="uq_staff_users_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "cases",
        sa.Column("record_id", Serial, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("area", sa.String(13), nullable=False),
        sa.Column("program", sa.String(64), nullable=True),
        sa.Column("stage", sa.SmallInteger(), nullable=True),
        sa.Column("received_at", Moment, nullable=False),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=True),
        sa.Column("first_visit", sa.Boolean(), nullable=True),
        sa.Column("person_key", sa.String(64), nullable=True),
        sa.Column("mismatch", sa.Boolean(), nullable=True),
        sa.Column("account_mismatch", sa.Boolean(), nullable=True),
        sa.Column("name_mismatch", sa.Boolean(), nullable=True),
        sa.Column("not_registered", sa.Boolean(), nullable=True),
        sa.Column("review", sa.String(24), nullable=True),
        sa.Column("disbursement", sa.String(20), nullable=True),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("severity", sa.String(10), nullable=True),
        sa.Column("team", sa.String(20), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("first_response_due", Moment, nullable=True),
        sa.Column("due_at", Moment, nullable=True),
        sa.Column("escalated_at", Moment, nullable=True),
        sa.Column("first_action_at", Moment, nullable=True),
        sa.Column("decided_at", Moment, nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("handling_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name="fk_cases_record_id"),
        sa.PrimaryKeyConstraint("record_id", name="pk_cases"),
    )
    op.create_index("ix_cases_kind_received_day_area", "cases", ["kind", "received_day", "area"])
    op.create_index("ix_cases_kind_area_received_day", "cases", ["kind", "area", "received_day"])
    op.create_index("ix_cases_kind_due_at", "cases", ["kind", "due_at"])
    op.create_index("ix_cases_kind_state_received_at", "cases", ["kind", "state", "received_at"])
    op.create_index("ix_cases_person_key", "cases", ["person_key"])
    op.create_table(
        "case_missing_documents",
        sa.Column("record_id", Serial, nullable=False),
        sa.Column("document", sa.String(64), nullable=False),
        sa.Column("area", sa.String(13), nullable=False),
        sa.Column("program", sa.String(64), nullable=True),
        sa.Column("stage", sa.SmallInteger(), nullable=True),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_case_missing_documents_record_id"
        ),
        sa.PrimaryKeyConstraint("record_id", "document", name="pk_case_missing_documents"),
    )
    op.create_index(
        "ix_case_missing_documents_received_day", "case_missing_documents", ["received_day"]
    )
    op.create_table(
        "case_daily",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("program", sa.String(64), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
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
        sa.PrimaryKeyConstraint(
            "kind", "received_day", "province", "program", "stage", name="pk_case_daily"
        ),
    )
    op.create_table(
        "case_notes",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("record_id", Serial, nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("at", Moment, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name="fk_case_notes_record_id"),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_case_notes_record_id", "case_notes", ["record_id"])
    _backfill()


def _backfill() -> None:
    """Case rows for the records already here, with the same code that opens new ones."""
    from sync.server.staff.intake import open_all

    open_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("case_daily")
    op.drop_index("ix_case_notes_record_id", table_name="case_notes")
    op.drop_table("case_notes")
    op.drop_index("ix_case_missing_documents_received_day", table_name="case_missing_documents")
    op.drop_table("case_missing_documents")
    op.drop_index("ix_cases_person_key", table_name="cases")
    op.drop_index("ix_cases_kind_state_received_at", table_name="cases")
    op.drop_index("ix_cases_kind_due_at", table_name="cases")
    op.drop_index("ix_cases_kind_area_received_day", table_name="cases")
    op.drop_index("ix_cases_kind_received_day_area", table_name="cases")
    op.drop_table("cases")
    op.drop_table("staff_users")
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as in upgrade: keep the triggers.
    op.drop_column("records", "version")
    op.drop_column("audit", "detail")
    op.drop_column("audit", "staff_user_id")
