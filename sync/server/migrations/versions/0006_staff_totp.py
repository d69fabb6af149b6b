"""Staff two-factor sign-in: a sealed TOTP secret and the last accepted time-step per account
(issue 11). Existing accounts start without one: admins and supervisors must run
`kiosk-server user totp NAME` before they can sign in to the console again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): instant on both engines, no table copy.
    op.add_column("staff_users", sa.Column("totp_secret", sa.String(200), nullable=True))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
