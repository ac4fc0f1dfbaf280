"""The latest value on the report: ``reports.latest_value``, ``latest_comment`` and
``latest_reporter_id``, written by :func:`reporting.saving.save_report` with each revision, and
an index on ``(plan, period_label)``.  Progress then reads the reports alone instead of joining
every report to its latest revision (see :mod:`reporting.models`).  Existing reports are filled
from their latest revision here, so progress is unchanged by the upgrade.

Plain ``ADD COLUMN`` / ``DROP COLUMN`` on both backends: a SQLite "batch" rebuild of
``reports`` would drop the old table, and with foreign keys on that cascades to the revisions.

Revision ID: 0011_report_latest
Revises: 0010_drop_word_index
Create Date: 2026-12-02 02:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011_report_latest"
down_revision: Union[str, Sequence[str], None] = "0010_drop_word_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("latest_value", "latest_comment", "latest_reporter_id")
_LATEST = "SELECT r.{0} FROM report_revisions r WHERE r.report_id = reports.id AND r.revision = reports.latest_revision"


def upgrade() -> None:
    op.add_column("reports", sa.Column("latest_value", sa.Float(), nullable=True))
    op.add_column("reports", sa.Column("latest_comment", sa.Text(), nullable=True))
    op.add_column("reports", sa.Column("latest_reporter_id", sa.Integer(), nullable=True))
    op.create_index("ix_reports_plan_period_label", "reports", ["plan", "period_label"])
    op.execute(
        "UPDATE reports SET "
        f"latest_value = ({_LATEST.format('value')}), "
        f"latest_comment = ({_LATEST.format('comment')}), "
        f"latest_reporter_id = ({_LATEST.format('reporter_id')}), "
        f"updated_at = COALESCE(({_LATEST.format('created_at')}), updated_at)")


def downgrade() -> None:
    op.drop_index("ix_reports_plan_period_label", table_name="reports")
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE reports DROP COLUMN {column}")
