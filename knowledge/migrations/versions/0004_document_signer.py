"""Documents: the issue date as printed (a blank day kept) and the signer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:35:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Plain ALTER TABLE on both databases: SQLite's batch mode would copy and drop "documents",
# and dropping it with foreign keys on would cascade into every fact of every plan.
def upgrade() -> None:
    op.add_column("documents", sa.Column("date_printed", sa.String(length=100), nullable=True))
    op.add_column("documents", sa.Column("signer", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE documents DROP COLUMN signer")  # SQLite ≥ 3.35 and PostgreSQL
    op.execute("ALTER TABLE documents DROP COLUMN date_printed")
