"""The audit trail as a hash chain, and TRUNCATE refused like UPDATE and DELETE (issue 11).

Rows already in the trail are chained in id order, a batch at a time; the append-only guard is
lifted only for that, inside this transaction, and put back before it commits.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.server.audit import GENESIS, HEAD_ID, row_hash
from sync.server.storage import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 1000
_SQLITE_UPDATE_GUARD = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
)
# Row triggers do not see TRUNCATE; a statement trigger does. (SQLite has no TRUNCATE.)
_POSTGRESQL_TRUNCATE_GUARD = (
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column("audit", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit", sa.Column("row_hash", sa.String(64), nullable=True))
    op.create_index("ix_audit_seq", "audit", ["seq"], unique=True)
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain"),
    )
    if postgresql:
        op.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
    else:
        op.execute("DROP TRIGGER audit_no_update")
    length, last_hash = _chain_existing_rows()
    if postgresql:
        op.execute("ALTER TABLE audit ENABLE TRIGGER audit_append_only")
        op.execute(_POSTGRESQL_TRUNCATE_GUARD)
    else:
        op.execute(_SQLITE_UPDATE_GUARD)
    chain = sa.table("audit_chain", sa.column("id"), sa.column("length"), sa.column("last_hash"))
    op.get_bind().execute(sa.insert(chain).values(id=HEAD_ID, length=length, last_hash=last_hash))


def _chain_existing_rows() -> tuple[int, str]:
    connection = op.get_bind()
    fields = ("device_id", "action", "client_id", "fingerprint", "outcome", "code", "detail")
    audit = sa.table(
        "audit",
        sa.column("id", sa.BigInteger()),
        sa.column("at", UtcDateTime()),
        sa.column("staff_user_id", sa.Integer()),
        *(sa.column(name) for name in fields),
        sa.column("seq", sa.BigInteger()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    length, previous, after = 0, GENESIS, 0
    while True:
        page = (
            connection.execute(
                sa.select(
                    audit.c.id, audit.c.at, audit.c.staff_user_id, *(audit.c[f] for f in fields)
                )
                .where(audit.c.id > after)
                .order_by(audit.c.id)
                .limit(_BATCH)
            )
            .mappings()
            .all()
        )
        for row in page:
            length += 1
            content = {**row, "seq": length, "prev_hash": previous}
            previous = row_hash(content)
            connection.execute(
                sa.update(audit)
                .where(audit.c.id == row["id"])
                .values(seq=length, prev_hash=content["prev_hash"], row_hash=previous)
            )
            after = row["id"]
        if len(page) < _BATCH:
            return length, previous


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit")
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_seq", table_name="audit")
    for column in ("row_hash", "prev_hash", "seq"):
        op.execute(f"ALTER TABLE audit DROP COLUMN {column}")
