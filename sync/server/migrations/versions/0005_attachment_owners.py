"""Which device sent which photo: a record may name only photos its own device sent (issue 11).

Photos already on the server belong to the devices the audit trail shows storing them, and to
the devices whose records already name them, so nothing pushed before this revision is refused.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attachment_owners",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("device_id", Serial, nullable=False, autoincrement=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_attachment_owners_device_id"
        ),
        sa.PrimaryKeyConstraint("sha256", "device_id", name="pk_attachment_owners"),
    )
    connection = op.get_bind()
    devices = sa.table("devices", sa.column("id", sa.Integer()))
    audit = sa.table(
        "audit",
        sa.column("device_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("fingerprint", sa.String()),
        sa.column("outcome", sa.String()),
    )
    records = sa.table("records", sa.column("device_id", sa.Integer()), sa.column("attachments"))
    known = set(connection.execute(sa.select(devices.c.id)).scalars())
    owners: set[tuple[str, int]] = set()
    uploaded = sa.select(audit.c.fingerprint, audit.c.device_id).where(
        audit.c.action == "attachment", audit.c.outcome == "stored"
    )
    for sha256, device_id in connection.execute(uploaded.distinct()):
        owners.add((sha256, device_id))
    for device_id, names in connection.execute(
        sa.select(records.c.device_id, records.c.attachments)
    ):
        owners.update((sha256, device_id) for sha256 in json.loads(names))
    rows = [
        {"sha256": sha256, "device_id": device_id}
        for sha256, device_id in sorted(owners)
        if device_id in known and sha256
    ]
    if rows:
        owned = sa.table("attachment_owners", sa.column("sha256"), sa.column("device_id"))
        connection.execute(sa.insert(owned), rows)


def downgrade() -> None:
    op.drop_table("attachment_owners")
