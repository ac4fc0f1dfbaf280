"""Progress reporting: units, reporters, reports and report revisions (now reporting.models).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column("area_key", sa.String(length=200), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("name", "area", name=op.f("uq_units_name_area")),
    )
    op.create_index("ix_units_area_key", "units", ["area_key"])
    op.create_table(
        "reporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("channel_user", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_reporters_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporters")),
        sa.UniqueConstraint("channel", "channel_user", name=op.f("uq_reporters_channel_channel_user")),
    )
    op.create_index("ix_reporters_phone", "reporters", ["phone"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=200), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("section_path", sa.String(length=100), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("period_label", sa.String(length=40), nullable=False),
        sa.Column("period_kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("latest_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_reports_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("unit_id", "plan", "target_key", "period_label",
                            name=op.f("uq_reports_unit_id_plan_target_key_period_label")),
    )
    op.create_index("ix_reports_plan_target_key_period_label", "reports", ["plan", "target_key", "period_label"])
    op.create_table(
        "report_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_report_revisions_report_id_reports"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reporter_id"], ["reporters.id"],
                                name=op.f("fk_report_revisions_reporter_id_reporters")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_revisions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_report_revisions_idempotency_key")),
        sa.UniqueConstraint("report_id", "revision", name=op.f("uq_report_revisions_report_id_revision")),
    )


def downgrade() -> None:
    op.drop_table("report_revisions")
    op.drop_index("ix_reports_plan_target_key_period_label", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_reporters_phone", table_name="reporters")
    op.drop_table("reporters")
    op.drop_index("ix_units_area_key", table_name="units")
    op.drop_table("units")
