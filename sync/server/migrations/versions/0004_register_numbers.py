"""Register numbers unique, and each device's pre-enrolment code tied to it (issue 11, item 1).

Before this revision a device could push a record numbered with another device's code, so an old
database may hold a number twice. Such records are kept as they are (people hold receipts with
these numbers): the later ones get `register_clash` 1, 2, ..., the unique index then covers
(register_number, register_clash), so every new record needs a number nobody holds, and the
console and `record set-state` refuse a shared number rather than pick one. The shared numbers
are reported in the migration's log (numbers only, no personal data).

The codes a device numbered with that are not its own (records saved before it enrolled) become
its pre-enrolment code when no other device used them and no device is assigned them; a code
several devices used is tied to none, and reported.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)
CODE_LENGTH = 6  # kiosk.domain.register_numbers.DEVICE_CODE_LENGTH, frozen as it was here
log = logging.getLogger("lengkap.server.migrations")


def upgrade() -> None:
    op.add_column(
        "records",
        sa.Column("register_clash", sa.SmallInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "device_codes",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("device_id", Serial, nullable=False),
        sa.Column("learnt_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name="fk_device_codes_device_id"),
        sa.PrimaryKeyConstraint("code", name="pk_device_codes"),
    )
    op.create_index("ix_device_codes_device_id", "device_codes", ["device_id"])
    connection = op.get_bind()
    _mark_shared_numbers(connection)
    _learn_pre_enrolment_codes(connection)
    op.create_index(
        "uq_records_register_number",
        "records",
        ["register_number", "register_clash"],
        unique=True,
    )


def _mark_shared_numbers(connection: sa.Connection) -> None:
    records = sa.table(
        "records",
        sa.column("id", sa.Integer()),
        sa.column("register_number", sa.String()),
        sa.column("register_clash", sa.SmallInteger()),
    )
    shared = (
        connection.execute(
            sa.select(records.c.register_number)
            .group_by(records.c.register_number)
            .having(sa.func.count() > 1)
            .order_by(records.c.register_number)
        )
        .scalars()
        .all()
    )
    for number in shared:
        ids = (
            connection.execute(
                sa.select(records.c.id)
                .where(records.c.register_number == number)
                .order_by(records.c.id)
            )
            .scalars()
            .all()
        )
        for rank, record_id in enumerate(ids[1:], start=1):
            connection.execute(
                sa.update(records).where(records.c.id == record_id).values(register_clash=rank)
            )
    if shared:
        log.warning(
            "%d register number(s) are held by several records; kept, and refused by the "
            "console and record set-state: %s",
            len(shared),
            ", ".join(shared),
        )


def _learn_pre_enrolment_codes(connection: sa.Connection) -> None:
    devices = sa.table("devices", sa.column("id", sa.Integer()), sa.column("device_code"))
    records = sa.table(
        "records", sa.column("device_id", sa.Integer()), sa.column("register_number")
    )
    device_codes = sa.table(
        "device_codes",
        sa.column("code", sa.String()),
        sa.column("device_id", sa.Integer()),
        sa.column("learnt_at", Moment),
    )
    assigned = dict(connection.execute(sa.select(devices.c.device_code, devices.c.id)).all())
    used_by: dict[str, set[int]] = defaultdict(set)
    prefix = sa.func.substr(records.c.register_number, 1, CODE_LENGTH)
    for code, device_id in connection.execute(
        sa.select(prefix, records.c.device_id).distinct()
    ).all():
        used_by[code].add(device_id)
    learnt, contested = [], []
    for code, users in sorted(used_by.items()):
        owner = assigned.get(code)
        foreign = users - {owner} if owner is not None else users
        if not foreign:
            continue
        if owner is None and len(foreign) == 1:
            learnt.append({"code": code, "device_id": foreign.pop(), "learnt_at": _now()})
        else:
            contested.append(code)
    if learnt:
        connection.execute(sa.insert(device_codes), learnt)
    if contested:
        log.warning(
            "device code(s) used by a device they do not belong to, tied to none: %s",
            ", ".join(contested),
        )


def _now() -> datetime:
    return datetime.now(UTC)


def downgrade() -> None:
    op.drop_index("uq_records_register_number", table_name="records")
    op.drop_index("ix_device_codes_device_id", table_name="device_codes")
    op.drop_table("device_codes")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("register_clash")
