"""Survey answers: one-question satisfaction scores sent by devices, without personal data.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey_answers",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(13), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("flow", sa.String(20), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("answered_at", Moment, nullable=False),
        sa.Column("received_at", Moment, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_survey_answers_score"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_answers"),
        sa.UniqueConstraint("client_id", name="uq_survey_answers_client_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_survey_answers_answered_at", "survey_answers", ["answered_at"])
    op.create_index("ix_survey_answers_area", "survey_answers", ["area"])


def downgrade() -> None:
    op.drop_index("ix_survey_answers_area", table_name="survey_answers")
    op.drop_index("ix_survey_answers_answered_at", table_name="survey_answers")
    op.drop_table("survey_answers")
