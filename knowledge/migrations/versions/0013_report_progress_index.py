"""One covering index for progress: ``reports (plan, period_label, target_key, unit_id,
latest_value, latest_reporter_id)``, instead of ``(plan, target_key, period_label)`` (0005),
its prefix in all but column order.

The figures of a plan are a GROUP BY over the reports of one plan and period
(:mod:`reporting.progress`); with every column it reads in the index, the database answers from
the index alone instead of fetching 10,000 table rows, each carrying the target's text
(bench/reports_aggregate.py).  The same index serves one target's progress (plan, period and
key all equal), the lookup of the authors of its values, and :func:`reporting.missing_reports`
(plan and period).  The comment is left out: free text has no place in a B-tree entry
(PostgreSQL refuses entries over ~2.7 kB).

``(plan, period_label)`` (0011) stays: what reads every column of a plan's reports (each unit's
row, with its comment) visits the table anyway, and through that index it does so in the
table's order, where the covering one, ordered by target, jumps across the table for each
target (twice as slow on SQLite at 10,000 reports).

Revision ID: 0013_report_progress_index
Revises: 0012_reminders
Create Date: 2026-12-02 05:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = "0013_report_progress_index"
down_revision: Union[str, Sequence[str], None] = "0012_reminders"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEX = "ix_reports_progress"
COLUMNS = ["plan", "period_label", "target_key", "unit_id", "latest_value", "latest_reporter_id"]


def upgrade() -> None:
    op.create_index(INDEX, "reports", COLUMNS)
    op.drop_index("ix_reports_plan_target_key_period_label", table_name="reports")


def downgrade() -> None:
    op.create_index("ix_reports_plan_target_key_period_label", "reports", ["plan", "target_key", "period_label"])
    op.drop_index(INDEX, table_name="reports")
