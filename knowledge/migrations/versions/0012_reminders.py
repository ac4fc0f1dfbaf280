"""Reminders sent from the staff dashboard (reporting.reminder_models).

Revision ID: 0012_reminders
Revises: 0011_report_latest
Create Date: 2026-12-02 01:45:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012_reminders"
down_revision: Union[str, Sequence[str], None] = "0011_report_latest"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=200), nullable=False),
        sa.Column("period_label", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("sent_by", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_reminders_unit_id_units")),
        sa.ForeignKeyConstraint(["reporter_id"], ["reporters.id"], name=op.f("fk_reminders_reporter_id_reporters")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    op.create_index("ix_reminders_plan_period_unit", "reminders", ["plan", "period_label", "unit_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_reminders_plan_period_unit", table_name="reminders")
    op.drop_table("reminders")
